// Rendering of instances: normalized keeps every member; concise drops "type"
// and, when nothing else is left, the value wrapper; simplified keeps only the
// value (several instances become {"dataset": {datasetId|"@none": value}}).
#include "ngsi/render.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/geojson.h"

namespace allmende::ngsi {

namespace {

bool wanted(const RenderOptions& o, const std::string& compacted) {
  if (o.pick && !o.pick->names.contains(compacted)) return false;
  return !(o.omit && o.omit->names.contains(compacted) && !o.omit->linked.contains(compacted));
}

json::value compactVocab(const json::value& v, const jsonld::Context& ctx, const json::storage_ptr& sp) {
  if (v.is_string()) return json::string(ctx.compact(v.get_string()), sp);
  if (v.is_array()) {
    json::array out(sp);
    for (const auto& e : v.get_array()) out.push_back(compactVocab(e, ctx, sp));
    return out;
  }
  return json::value(v, sp);
}

json::object wrapped(std::string_view member, json::value v, const json::storage_ptr& sp) {
  json::object o(sp);
  o[member] = std::move(v);
  return o;
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

// createdAt, modifiedAt (epoch ms inside) and expiresAt: shown with sysAttrs
// only. True if `name` is one of them.
bool addSystemMember(std::string_view name, const json::value& v, json::object& out) {
  if (name == key::createdAt || name == key::modifiedAt) {
    if (v.is_int64()) out[name] = formatDateTime(v.get_int64());
    return true;
  }
  if (name != key::expiresAt) return false;
  out[name] = v;
  return true;
}

void addSystemMembers(const json::object& holder, json::object& out) {
  for (auto member : {key::createdAt, key::modifiedAt, key::expiresAt})
    if (auto* v = holder.if_contains(member)) addSystemMember(member, *v, out);
}

json::value simplifiedValue(const json::object& inst, const jsonld::Context& ctx,
                            const RenderOptions& o) {
  auto kind = kindOf(inst);
  const json::value* v = inst.if_contains(valueMember(kind));
  if (!v) return nullptr;
  const auto& sp = o.storage;
  if (kind == AttributeKind::LanguageProperty && o.lang && v->is_object()) {
    if (auto picked = pickLanguage(v->get_object(), *o.lang)) return json::value(picked->second, sp);
  }
  // Simplified keeps a one-member wrapper where a bare value would be ambiguous (4.5.4).
  if (kind == AttributeKind::LanguageProperty || kind == AttributeKind::JsonProperty)
    return wrapped(valueMember(kind), json::value(*v, sp), sp);
  if (kind == AttributeKind::VocabProperty) return wrapped("vocab", compactVocab(*v, ctx, sp), sp);
  return json::value(*v, sp);
}

// One pass over the stored members (an instance has few; looking each
// possible one up by name costs more than the copying).
void renderMembers(const json::object& inst, json::object& out, const jsonld::Context& ctx,
                   const RenderOptions& o) {
  for (const auto& member : inst) {
    std::string_view name = member.key();
    const json::value& v = member.value();
    if (name == key::observedAt || name == key::unitCode || name == key::datasetId || name == "valueType" ||
        name == "entityIdSealed") {
      out[name] = v;
    } else if (name == key::objectType || name == "entityTypeSealed") {
      out[name] = compactVocab(v, ctx, o.storage);
    } else if (name == key::subs && v.is_object()) {
      for (const auto& [subName, sub] : v.get_object()) {
        if (!sub.is_object() || isExpired(sub.get_object(), o.now)) continue;
        out[ctx.compact(subName)] = renderInstance(sub.get_object(), ctx, o);
      }
    } else if (o.sysAttrs) {
      addSystemMember(name, v, out);
    }
  }
}

}  // namespace

json::value renderInstance(const json::object& inst, const jsonld::Context& ctx,
                           const RenderOptions& o) {
  if (o.format == Format::Simplified) return simplifiedValue(inst, ctx, o);
  auto kind = kindOf(inst);
  std::string_view member = valueMember(kind);
  const auto& sp = o.storage;
  json::object out(inst.size() + 1, sp);  // room for every member: no rehash while filling
  if (o.format == Format::Normalized) out.emplace(key::type, kindName(kind));
  const json::value* v = inst.if_contains(member);
  if (kind == AttributeKind::LanguageProperty && o.lang && v && v->is_object()) {
    if (auto picked = pickLanguage(v->get_object(), *o.lang)) {
      if (o.format == Format::Normalized) out[key::type] = "Property";
      out["value"] = picked->second;
      out["lang"] = picked->first;
      renderMembers(inst, out, ctx, o);
      return out;
    }
  }
  if (v && kind == AttributeKind::VocabProperty)
    out.emplace(member, compactVocab(*v, ctx, sp));
  else if (v)
    out.emplace(member, *v);
  if (kind == AttributeKind::ListRelationship && v && v->is_array() && o.format == Format::Normalized) {
    json::array list(sp);
    for (const auto& e : v->get_array()) list.push_back(wrapped("object", json::value(e, sp), sp));
    out[member] = std::move(list);
  }
  renderMembers(inst, out, ctx, o);
  if (o.format == Format::Concise && out.size() == 1 && v &&
      (kind == AttributeKind::Property || kind == AttributeKind::GeoProperty)) {
    // Nothing but the value: concise drops the wrapper unless that would be ambiguous.
    bool ambiguous = kind == AttributeKind::Property && (v->is_object() || v->is_array());
    if (!ambiguous) return json::value(*v, sp);
  }
  return out;
}

namespace {

json::value renderAttribute(const json::array& instances, const jsonld::Context& ctx,
                            const RenderOptions& o) {
  std::vector<const json::object*> kept;
  for (const auto& inst : instances) {
    if (!inst.is_object() || isExpired(inst.get_object(), o.now)) continue;
    if (o.datasetIds) {
      std::string ds(datasetIdOf(inst.get_object()));
      if (!o.datasetIds->contains(ds.empty() ? "@none" : ds)) continue;
    }
    kept.push_back(&inst.get_object());
  }
  if (kept.empty()) return nullptr;
  if (kept.size() == 1) return renderInstance(*kept[0], ctx, o);
  if (o.format == Format::Simplified) {
    json::object dataset(o.storage);
    for (const auto* inst : kept) {
      std::string_view ds = datasetIdOf(*inst);
      dataset[ds.empty() ? "@none" : ds] = simplifiedValue(*inst, ctx, o);
    }
    return wrapped("dataset", std::move(dataset), o.storage);
  }
  json::array out(o.storage);
  for (const auto* inst : kept) out.push_back(renderInstance(*inst, ctx, o));
  return out;
}

}  // namespace

json::value renderTypes(const json::value& types, const jsonld::Context& ctx,
                        const json::storage_ptr& sp) {
  if (!types.is_array()) return json::value(types, sp);
  const auto& a = types.get_array();
  if (a.size() == 1 && a[0].is_string()) return json::string(ctx.compact(a[0].get_string()), sp);
  json::array out(sp);
  for (const auto& t : a)
    if (t.is_string()) out.emplace_back(ctx.compact(t.get_string()));
  return out;
}

json::object renderEntity(const json::object& entity, const jsonld::Context& ctx,
                          const RenderOptions& o) {
  auto* attrs = entity.if_contains(key::attrs);
  json::object out(8 + (attrs && attrs->is_object() ? attrs->get_object().size() : 0), o.storage);
  if (wanted(o, "id")) out.emplace(key::id, entity.at(key::id));
  if (wanted(o, "type")) out.emplace(key::type, renderTypes(entity.at(key::type), ctx, o.storage));
  if (auto* s = entity.if_contains(key::scope); s && s->is_array() && wanted(o, "scope"))
    out[key::scope] = s->get_array().size() == 1 ? s->get_array()[0] : *s;
  if (o.sysAttrs) addSystemMembers(entity, out);
  if (attrs && attrs->is_object()) {
    for (const auto& [iri, instances] : attrs->get_object()) {
      if (o.attrs && !o.attrs->contains(std::string(iri))) continue;
      std::string name = ctx.compact(iri);
      if (!wanted(o, name) || !instances.is_array()) continue;
      auto rendered = renderAttribute(instances.get_array(), ctx, o);
      if (!rendered.is_null()) out[name] = std::move(rendered);
    }
  }
  return out;
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
