// Rendering of instances: normalized keeps every member; concise drops "type"
// and, when nothing else is left, the value wrapper; simplified keeps only the
// value (several instances become {"dataset": {datasetId|"@none": value}}).
// One renderer writes to a sink: JSON text straight away (writeEntity, what
// retrieve and query answers send), or a value for callers that change it.
#include "ngsi/render.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "common/json_text.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/geojson.h"

namespace allmende::ngsi {

namespace {

bool wanted(const RenderOptions& o, const std::string& compacted) {
  if (o.pick && !o.pick->names.contains(compacted)) return false;
  return !(o.omit && o.omit->names.contains(compacted) && !o.omit->linked.contains(compacted));
}

// The text of a languageMap for a lang parameter ("fr", "fr;q=0.2,nl;q=0.9", "*"):
// requested tags by falling weight; each matches exactly, then by its primary
// language; then "@none"; then the first entry.
std::optional<std::pair<std::string, json::value>> pickLanguage(const json::object& map,
                                                                const std::string& lang) {
  std::vector<std::pair<double, std::string>> wanted;
  std::string_view rest = lang;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    double q = 1;
    if (auto semi = part.find(';'); semi != std::string_view::npos) {
      auto param = part.substr(semi + 1);
      if (param.starts_with("q=")) q = std::atof(std::string(param.substr(2)).c_str());
      part = part.substr(0, semi);
    }
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (!part.empty() && q > 0) wanted.emplace_back(q, std::string(part));
  }
  std::stable_sort(wanted.begin(), wanted.end(), [](auto& a, auto& b) { return a.first > b.first; });
  auto entry = [&map](std::string_view tag) -> std::optional<std::pair<std::string, json::value>> {
    if (auto* v = map.if_contains(tag)) return std::pair{std::string(tag), *v};
    return std::nullopt;
  };
  for (const auto& [q, tag] : wanted) {
    if (tag == "*") {
      for (const auto& [t, text] : map)
        if (t != "@none") return std::pair{std::string(t), text};
      continue;
    }
    if (auto e = entry(tag)) return e;
    std::string primary = tag.substr(0, tag.find('-'));
    if (auto e = entry(primary)) return e;
    for (const auto& [t, text] : map)
      if (std::string_view(t).starts_with(primary + "-")) return std::pair{std::string(t), text};
  }
  if (auto e = entry("@none")) return e;
  if (!map.empty()) return std::pair{std::string(map.begin()->key()), map.begin()->value()};
  return std::nullopt;
}

// Writes JSON text as the renderer goes (answers that are sent as they are).
class TextSink {
 public:
  explicit TextSink(std::string& out) : out_(out) {}
  void beginObject() { open('{'); }
  void endObject() { close('}'); }
  void beginArray() { open('['); }
  void endArray() { close(']'); }
  void key(std::string_view k) {
    comma();
    appendJsonString(out_, k);
    out_.push_back(':');
    first_ = true;
  }
  void string(std::string_view s) {
    comma();
    appendJsonString(out_, s);
  }
  void value(const json::value& v) {
    comma();
    appendJsonText(out_, v);
  }

 private:
  void comma() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  void open(char c) {
    comma();
    out_.push_back(c);
    first_ = true;
  }
  void close(char c) {
    out_.push_back(c);
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;  // no comma before the next value or key
};

// Builds the rendered value (for callers that change it further: joins,
// GeoJSON features, notifications, an earlier version's form).
class TreeSink {
 public:
  explicit TreeSink(const json::storage_ptr& sp) : stack_(json::storage_ptr(), temp_, sizeof temp_) {
    stack_.reset(sp);
  }
  void beginObject() { sizes_.push_back(0); }
  void endObject() { stack_.push_object(closeLevel()); }
  void beginArray() { sizes_.push_back(0); }
  void endArray() { stack_.push_array(closeLevel()); }
  void key(std::string_view k) { stack_.push_key(k); }
  void string(std::string_view s) {
    stack_.push_string(s);
    counted();
  }
  void value(const json::value& v) {
    push(v);
    counted();
  }
  json::value release() { return stack_.release(); }

 private:
  size_t closeLevel() {
    size_t n = sizes_.back();
    sizes_.pop_back();
    counted();
    return n;
  }
  void counted() {
    if (!sizes_.empty()) ++sizes_.back();
  }
  void push(const json::value& v) {
    switch (v.kind()) {
      case json::kind::null: stack_.push_null(); break;
      case json::kind::bool_: stack_.push_bool(v.get_bool()); break;
      case json::kind::int64: stack_.push_int64(v.get_int64()); break;
      case json::kind::uint64: stack_.push_uint64(v.get_uint64()); break;
      case json::kind::double_: stack_.push_double(v.get_double()); break;
      case json::kind::string: stack_.push_string(v.get_string()); break;
      case json::kind::array:
        for (const auto& e : v.get_array()) push(e);
        stack_.push_array(v.get_array().size());
        break;
      case json::kind::object:
        for (const auto& [k, e] : v.get_object()) {
          stack_.push_key(k);
          push(e);
        }
        stack_.push_object(v.get_object().size());
        break;
    }
  }
  unsigned char temp_[2048];
  json::value_stack stack_;
  std::vector<size_t> sizes_;  // values so far in each open object or array
};

// The one renderer, written once for both sinks.
template <class Sink>
class Renderer {
 public:
  Renderer(Sink& sink, const jsonld::Context& ctx, const RenderOptions& o) : s_(sink), ctx_(ctx), o_(o) {}

  RenderedMembers entity(const json::object& entity) {
    RenderedMembers written;
    s_.beginObject();
    if (wanted(o_, "id")) {
      s_.key(key::id);
      s_.value(entity.at(key::id));
      ++written.count;
    }
    if (wanted(o_, "type")) {
      s_.key(key::type);
      types(entity.at(key::type));
      ++written.count;
    }
    if (auto* scope = entity.if_contains(key::scope); scope && scope->is_array() && wanted(o_, "scope")) {
      s_.key(key::scope);
      s_.value(scope->get_array().size() == 1 ? scope->get_array()[0] : *scope);
      ++written.count;
    }
    if (o_.sysAttrs) {
      for (auto member : {key::createdAt, key::modifiedAt, key::expiresAt})
        if (auto* v = entity.if_contains(member); v && systemMember(member, *v)) {
          ++written.count;
          written.attributes = true;
        }
    }
    if (auto* attrs = entity.if_contains(key::attrs); attrs && attrs->is_object()) {
      std::vector<const json::object*> kept;
      for (const auto& [iri, instances] : attrs->get_object()) {
        if (o_.attrs && !o_.attrs->contains(std::string(iri))) continue;
        std::string name = ctx_.compact(iri);
        if (!wanted(o_, name) || !instances.is_array()) continue;
        keep(instances.get_array(), kept);
        if (kept.empty() || (kept.size() == 1 && simplifiedToNull(*kept[0]))) continue;
        s_.key(name);
        attribute(kept);
        ++written.count;
        written.attributes = true;
      }
    }
    s_.endObject();
    return written;
  }

  void instance(const json::object& inst) {
    if (o_.format == Format::Simplified) return simplifiedValue(inst);
    auto kind = kindOf(inst);
    std::string_view member = valueMember(kind);
    const json::value* v = inst.if_contains(member);
    if (kind == AttributeKind::LanguageProperty && o_.lang && v && v->is_object()) {
      if (auto picked = pickLanguage(v->get_object(), *o_.lang)) {
        s_.beginObject();
        if (o_.format == Format::Normalized) {
          s_.key(key::type);
          s_.string("Property");
        }
        s_.key("value");
        s_.value(picked->second);
        s_.key("lang");
        s_.string(picked->first);
        members(inst);
        s_.endObject();
        return;
      }
    }
    if (o_.format == Format::Concise && v && (kind == AttributeKind::Property || kind == AttributeKind::GeoProperty) &&
        !writesMembers(inst)) {
      // Nothing but the value: concise drops the wrapper unless that would be ambiguous.
      bool ambiguous = kind == AttributeKind::Property && (v->is_object() || v->is_array());
      if (!ambiguous) return s_.value(*v);
    }
    s_.beginObject();
    if (o_.format == Format::Normalized) {
      s_.key(key::type);
      s_.string(kindName(kind));
    }
    if (v) {
      s_.key(member);
      if (kind == AttributeKind::VocabProperty) {
        vocab(*v);
      } else if (kind == AttributeKind::ListRelationship && v->is_array() && o_.format == Format::Normalized) {
        s_.beginArray();
        for (const auto& e : v->get_array()) wrapped("object", e);
        s_.endArray();
      } else {
        s_.value(*v);
      }
    }
    members(inst);
    s_.endObject();
  }

  void types(const json::value& types) {
    if (!types.is_array()) return s_.value(types);
    const auto& a = types.get_array();
    if (a.size() == 1 && a[0].is_string()) return s_.string(ctx_.compact(a[0].get_string()));
    s_.beginArray();
    for (const auto& t : a)
      if (t.is_string()) s_.string(ctx_.compact(t.get_string()));
    s_.endArray();
  }

 private:
  void vocab(const json::value& v) {
    if (v.is_string()) return s_.string(ctx_.compact(v.get_string()));
    if (!v.is_array()) return s_.value(v);
    s_.beginArray();
    for (const auto& e : v.get_array()) vocab(e);
    s_.endArray();
  }

  void wrapped(std::string_view member, const json::value& v) {
    s_.beginObject();
    s_.key(member);
    s_.value(v);
    s_.endObject();
  }

  // The unexpired instances of an attribute that the datasetId selection keeps.
  void keep(const json::array& instances, std::vector<const json::object*>& kept) const {
    kept.clear();
    for (const auto& inst : instances) {
      if (!inst.is_object() || isExpired(inst.get_object(), o_.now)) continue;
      if (o_.datasetIds) {
        std::string ds(datasetIdOf(inst.get_object()));
        if (!o_.datasetIds->contains(ds.empty() ? "@none" : ds)) continue;
      }
      kept.push_back(&inst.get_object());
    }
  }

  // True if the simplified form of this sole instance is null (no value): the attribute is left out.
  bool simplifiedToNull(const json::object& inst) const {
    if (o_.format != Format::Simplified) return false;
    const json::value* v = inst.if_contains(valueMember(kindOf(inst)));
    return !v || v->is_null();
  }

  void attribute(const std::vector<const json::object*>& kept) {
    if (kept.size() == 1) return instance(*kept[0]);
    if (o_.format == Format::Simplified) {
      s_.beginObject();
      s_.key("dataset");
      s_.beginObject();
      for (const auto* inst : kept) {
        std::string_view ds = datasetIdOf(*inst);
        s_.key(ds.empty() ? "@none" : ds);
        simplifiedValue(*inst);
      }
      s_.endObject();
      s_.endObject();
      return;
    }
    s_.beginArray();
    for (const auto* inst : kept) instance(*inst);
    s_.endArray();
  }

  void simplifiedValue(const json::object& inst) {
    auto kind = kindOf(inst);
    const json::value* v = inst.if_contains(valueMember(kind));
    if (!v) return s_.value(nullptr);
    if (kind == AttributeKind::LanguageProperty && o_.lang && v->is_object()) {
      if (auto picked = pickLanguage(v->get_object(), *o_.lang)) return s_.value(picked->second);
    }
    // Simplified keeps a one-member wrapper where a bare value would be ambiguous (4.5.4).
    if (kind == AttributeKind::LanguageProperty || kind == AttributeKind::JsonProperty)
      return wrapped(valueMember(kind), *v);
    if (kind == AttributeKind::VocabProperty) {
      s_.beginObject();
      s_.key("vocab");
      vocab(*v);
      s_.endObject();
      return;
    }
    s_.value(*v);
  }

  static bool copiedMember(std::string_view name) {
    return name == key::observedAt || name == key::unitCode || name == key::datasetId || name == "valueType" ||
           name == "entityIdSealed";
  }
  static bool vocabMember(std::string_view name) { return name == key::objectType || name == "entityTypeSealed"; }

  // createdAt, modifiedAt (epoch ms inside) and expiresAt, shown with sysAttrs
  // only; true if written.
  bool systemMember(std::string_view name, const json::value& v) {
    if (name == key::createdAt || name == key::modifiedAt) {
      if (!v.is_int64()) return false;
      s_.key(name);
      s_.string(formatDateTime(v.get_int64()));
      return true;
    }
    if (name != key::expiresAt) return false;
    s_.key(name);
    s_.value(v);
    return true;
  }

  // True if members() writes anything for this instance.
  bool writesMembers(const json::object& inst) const {
    for (const auto& member : inst) {
      std::string_view name = member.key();
      const json::value& v = member.value();
      if (copiedMember(name) || vocabMember(name)) return true;
      if (name == key::subs && v.is_object()) {
        for (const auto& [subName, sub] : v.get_object())
          if (sub.is_object() && !isExpired(sub.get_object(), o_.now)) return true;
      } else if (o_.sysAttrs && (name == key::expiresAt || ((name == key::createdAt || name == key::modifiedAt) &&
                                                              v.is_int64()))) {
        return true;
      }
    }
    return false;
  }

  // One pass over the stored members (an instance has few; looking each
  // possible one up by name costs more).
  void members(const json::object& inst) {
    for (const auto& member : inst) {
      std::string_view name = member.key();
      const json::value& v = member.value();
      if (copiedMember(name)) {
        s_.key(name);
        s_.value(v);
      } else if (vocabMember(name)) {
        s_.key(name);
        vocab(v);
      } else if (name == key::subs && v.is_object()) {
        for (const auto& [subName, sub] : v.get_object()) {
          if (!sub.is_object() || isExpired(sub.get_object(), o_.now)) continue;
          s_.key(ctx_.compact(subName));
          instance(sub.get_object());
        }
      } else if (o_.sysAttrs) {
        systemMember(name, v);
      }
    }
  }

  Sink& s_;
  const jsonld::Context& ctx_;
  const RenderOptions& o_;
};

}  // namespace

json::value renderInstance(const json::object& inst, const jsonld::Context& ctx, const RenderOptions& o) {
  TreeSink sink(o.storage);
  Renderer(sink, ctx, o).instance(inst);
  return sink.release();
}

json::value renderTypes(const json::value& types, const jsonld::Context& ctx, const json::storage_ptr& sp) {
  TreeSink sink(sp);
  RenderOptions o;
  Renderer(sink, ctx, o).types(types);
  return sink.release();
}

json::object renderEntity(const json::object& entity, const jsonld::Context& ctx, const RenderOptions& o) {
  TreeSink sink(o.storage);
  Renderer(sink, ctx, o).entity(entity);
  return std::move(sink.release().get_object());
}

RenderedMembers writeEntity(std::string& out, const json::object& entity, const jsonld::Context& ctx,
                            const RenderOptions& o) {
  TextSink sink(out);
  return Renderer(sink, ctx, o).entity(entity);
}

json::value featureGeometry(const json::object& entity, const std::string& geometryProperty, int64_t now) {
  json::value geometry = nullptr;
  if (auto* attrs = entity.if_contains(key::attrs); attrs && attrs->is_object()) {
    if (auto* g = attrs->get_object().if_contains(geometryProperty); g && g->is_array()) {
      // The default instance if there is one, else the first.
      for (const auto& inst : g->get_array()) {
        if (!inst.is_object() || isExpired(inst.get_object(), now)) continue;
        auto* v = inst.get_object().if_contains("value");
        if (!v || !looksLikeGeometry(*v)) continue;
        if (geometry.is_null() || datasetIdOf(inst.get_object()).empty()) geometry = *v;
        if (datasetIdOf(inst.get_object()).empty()) break;
      }
    }
  }
  return geometry;
}

json::object asFeature(json::object rendered, json::value geometry, json::storage_ptr storage) {
  json::object feature(std::move(storage));
  feature[key::id] = rendered.at(key::id);
  feature[key::type] = "Feature";
  feature["geometry"] = std::move(geometry);
  rendered.erase(key::id);
  feature["properties"] = std::move(rendered);
  return feature;
}

json::object renderFeature(const json::object& entity, const jsonld::Context& ctx,
                           const RenderOptions& options, const std::string& geometryProperty) {
  return asFeature(renderEntity(entity, ctx, options), featureGeometry(entity, geometryProperty, options.now),
                   options.storage);
}

}  // namespace allmende::ngsi
