// Attribute kinds and small accessors of the internal entity form.
#include "ngsi/entity.h"

#include <algorithm>

#include "ngsi/datetime.h"
#include "query/geo.h"
#include "query/q.h"

namespace allmende::ngsi {

namespace {
struct KindInfo {
  AttributeKind kind;
  std::string_view name;
  std::string_view member;
};
constexpr KindInfo kKinds[] = {
    {AttributeKind::Property, "Property", "value"},
    {AttributeKind::Relationship, "Relationship", "object"},
    {AttributeKind::GeoProperty, "GeoProperty", "value"},
    {AttributeKind::LanguageProperty, "LanguageProperty", "languageMap"},
    {AttributeKind::VocabProperty, "VocabProperty", "vocab"},
    {AttributeKind::JsonProperty, "JsonProperty", "json"},
    {AttributeKind::ListProperty, "ListProperty", "valueList"},
    {AttributeKind::ListRelationship, "ListRelationship", "objectList"},
};
}  // namespace

std::string_view kindName(AttributeKind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k.name;
  return "Property";
}

std::string_view valueMember(AttributeKind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k.member;
  return "value";
}

std::optional<AttributeKind> kindFromName(std::string_view name) {
  if (name.starts_with("ngsi-ld:")) name.remove_prefix(8);
  else if (name.starts_with("https://uri.etsi.org/ngsi-ld/")) name.remove_prefix(29);
  for (const auto& k : kKinds)
    if (k.name == name) return k.kind;
  return std::nullopt;
}

AttributeKind kindOf(const json::object& instance) {
  if (auto* t = instance.if_contains(key::type); t && t->is_string())
    if (auto k = kindFromName(t->get_string())) return *k;
  return AttributeKind::Property;
}

std::string_view datasetIdOf(const json::object& instance) {
  if (auto* d = instance.if_contains(key::datasetId); d && d->is_string()) return d->get_string();
  return {};
}

bool isExpired(const json::object& holder, int64_t nowMs) {
  auto* e = holder.if_contains(key::expiresAt);
  if (!e || !e->is_string()) return false;
  auto at = parseDateTime(e->get_string());
  return at && *at <= nowMs;
}

namespace {
void collectNumbers(const json::value& v, std::string_view name, std::vector<store::EntityMeta::Number>& out,
                    int depth) {
  if (v.is_number()) {
    out.push_back({name, v.to_number<double>()});
  } else if (v.is_array() && depth == 0) {
    for (const auto& e : v.get_array()) collectNumbers(e, name, out, 1);
  } else if (v.is_object()) {
    if (auto* inner = v.get_object().if_contains("@value"); inner && inner->is_number())
      out.push_back({name, inner->to_number<double>()});
  }
}

// The strings a q term compares a value with (query/q.cpp forEachTarget and
// compareTarget): the value, or the elements of an array value, or a
// languageMap's strings (and their arrays' elements), each unwrapped from @value.
void collectStrings(const json::value& v, std::string_view name, bool languageMap,
                    std::vector<store::EntityMeta::Text>& out) {
  auto unwrap = [](const json::value& e) -> const json::value& {
    if (e.is_object())
      if (auto* inner = e.get_object().if_contains("@value")) return *inner;
    return e;
  };
  auto add = [&](const json::value& e) {
    if (const auto& u = unwrap(e); u.is_string()) out.push_back({name, u.get_string()});
  };
  auto addEach = [&](const json::value& e) {
    if (!e.is_array()) return add(e);
    for (const auto& item : e.get_array()) add(item);
  };
  const auto& u = unwrap(v);
  if (languageMap && u.is_object()) {
    for (const auto& [tag, text] : u.get_object()) addEach(text);
  } else {
    addEach(u);
  }
}

size_t subAttributeCount(const json::object& instance) {
  auto* subs = instance.if_contains(key::subs);
  if (!subs || !subs->is_object()) return 0;
  size_t n = 0;
  for (const auto& [name, sub] : subs->get_object())
    if (sub.is_object()) n += 1 + subAttributeCount(sub.get_object());
  return n;
}
}  // namespace

size_t attributeCount(const json::object& entity) {
  auto* attrs = entity.if_contains(key::attrs);
  if (!attrs || !attrs->is_object()) return 0;
  size_t n = 0;
  for (const auto& [name, instances] : attrs->get_object()) {
    if (!instances.is_array()) continue;
    for (const auto& inst : instances.get_array())
      if (inst.is_object()) n += 1 + subAttributeCount(inst.get_object());
  }
  return n;
}

store::EntityMeta entityMeta(const store::Entity& entity) {
  store::EntityMeta meta;
  if (auto* types = entity.if_contains(key::type); types && types->is_array())
    for (const auto& t : types->get_array())
      if (t.is_string()) meta.types.emplace_back(t.get_string());
  auto expiry = [&meta](const json::value* e) {
    if (!e || !e->is_string()) return;
    if (auto at = parseDateTime(e->get_string()))
      meta.expiresAtMs = meta.expiresAtMs ? std::min(meta.expiresAtMs, *at) : *at;
  };
  expiry(entity.if_contains(key::expiresAt));
  auto ms = [&entity](std::string_view member) -> int64_t {
    auto* v = entity.if_contains(member);
    return v && v->is_number() ? static_cast<int64_t>(v->to_number<double>()) : 0;
  };
  meta.createdAtMs = ms(key::createdAt);
  meta.modifiedAtMs = ms(key::modifiedAt);
  auto* attrs = entity.if_contains(key::attrs);
  if (!attrs || !attrs->is_object()) return meta;
  meta.attrs.reserve(attrs->get_object().size());
  meta.numbers.reserve(attrs->get_object().size());
  for (const auto& [name, instances] : attrs->get_object()) {
    if (!instances.is_array()) continue;
    size_t first = meta.attrs.size();  // this attribute's kinds are listed from here, each once
    for (const auto& inst : instances.get_array()) {
      if (!inst.is_object()) continue;
      // One pass over the members for the type, the expiry and the value members.
      const json::value* type = nullptr;
      const json::value* expires = nullptr;
      const json::value* observed = nullptr;
      const json::value* value = nullptr;  // "value", or the member another kind has instead
      const json::value* other[std::size(kKinds)] = {};
      for (const auto& member : inst.get_object()) {
        std::string_view m = member.key();
        switch (m.size()) {  // members of other lengths are none of these
          case 4:
            if (m == key::type) type = &member.value();
            else if (m == "json") other[size_t(AttributeKind::JsonProperty)] = &member.value();
            break;
          case 5:
            if (m == "value") value = &member.value();
            else if (m == "vocab") other[size_t(AttributeKind::VocabProperty)] = &member.value();
            break;
          case 6:
            if (m == "object") other[size_t(AttributeKind::Relationship)] = &member.value();
            break;
          case 9:
            if (m == key::expiresAt) expires = &member.value();
            else if (m == "valueList") other[size_t(AttributeKind::ListProperty)] = &member.value();
            break;
          case 10:
            if (m == "objectList") other[size_t(AttributeKind::ListRelationship)] = &member.value();
            else if (m == key::observedAt) observed = &member.value();
            break;
          case 11:
            if (m == "languageMap") other[size_t(AttributeKind::LanguageProperty)] = &member.value();
            break;
        }
      }
      expiry(expires);
      if (observed && observed->is_string())
        if (auto at = query::temporalValue(observed->get_string())) meta.observedAt.push_back({name, double(*at)});
      auto kind = AttributeKind::Property;
      if (type && type->is_string())
        if (auto k = kindFromName(type->get_string())) kind = *k;
      std::string_view kname = kindName(kind);
      if (std::none_of(meta.attrs.begin() + first, meta.attrs.end(), [&](const auto& a) { return a.second == kname; }))
        meta.attrs.emplace_back(name, kname);
      const json::value* v = valueMember(kind) == "value" ? value : other[size_t(kind)];
      if (!v) continue;
      if (kind == AttributeKind::GeoProperty) {
        if (auto box = query::boundingBox(*v)) meta.geometries.emplace_back(name, *box);
        continue;
      }
      size_t strings = meta.strings.size();
      collectStrings(*v, name, kind == AttributeKind::LanguageProperty, meta.strings);
      for (size_t i = strings; i < meta.strings.size(); ++i) {
        auto& text = meta.strings[i].value;
        if (auto at = query::temporalValue(text)) meta.times.push_back({name, double(*at)});
        text = text.substr(0, store::EntityMeta::kIndexedStringBytes);
      }
      if (kind != AttributeKind::Relationship && kind != AttributeKind::ListRelationship) {
        collectNumbers(*v, name, meta.numbers, 0);  // every number a q term could compare
        if (v->is_number() && kind == AttributeKind::Property && instances.get_array().size() == 1 && !expires)
          meta.numbers.back().sole = true;
      }
    }
  }
  return meta;
}

}  // namespace allmende::ngsi
