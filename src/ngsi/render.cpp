// Rendering of instances: normalized keeps every member; concise drops "type"
// and, when nothing else is left, the value wrapper; simplified keeps only the
// value (several instances become {"dataset": {datasetId|"@none": value}}).
#include "ngsi/render.h"

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/geojson.h"

namespace allmende::ngsi {

namespace {

bool wanted(const RenderOptions& o, const std::string& compacted) {
  if (o.pick && !o.pick->contains(compacted)) return false;
  return !o.omit.contains(compacted);
}

json::value compactVocab(const json::value& v, const jsonld::Context& ctx) {
  if (v.is_string()) return json::string(ctx.compact(v.get_string()));
  if (v.is_array()) {
    json::array out;
    for (const auto& e : v.get_array()) out.push_back(compactVocab(e, ctx));
    return out;
  }
  return v;
}

// The text of a languageMap in the requested language: exact tag, then its
// primary language, then "@none", then the first entry.
std::optional<std::pair<std::string, json::value>> pickLanguage(const json::object& map,
                                                                const std::string& lang) {
  if (auto* v = map.if_contains(lang)) return std::pair{lang, *v};
  for (const auto& [tag, text] : map)
    if (std::string_view(tag).starts_with(lang + "-")) return std::pair{std::string(tag), text};
  if (auto* v = map.if_contains("@none")) return std::pair{std::string("@none"), *v};
  if (!map.empty()) return std::pair{std::string(map.begin()->key()), map.begin()->value()};
  return std::nullopt;
}

json::value renderInstance(const json::object& inst, const jsonld::Context& ctx,
                           const RenderOptions& o);

json::value simplifiedValue(const json::object& inst, const jsonld::Context& ctx,
                            const RenderOptions& o) {
  auto kind = kindOf(inst);
  const json::value* v = inst.if_contains(valueMember(kind));
  if (!v) return nullptr;
  if (kind == AttributeKind::VocabProperty) return compactVocab(*v, ctx);
  if (kind == AttributeKind::LanguageProperty && o.lang && *o.lang != "*" && v->is_object()) {
    if (auto picked = pickLanguage(v->get_object(), *o.lang)) return picked->second;
  }
  if (kind == AttributeKind::LanguageProperty) {
    json::object wrapped;
    wrapped["languageMap"] = *v;
    return wrapped;
  }
  return *v;
}

void renderMembers(const json::object& inst, json::object& out, const jsonld::Context& ctx,
                   const RenderOptions& o) {
  for (auto member : {key::observedAt, key::unitCode, key::datasetId, key::expiresAt})
    if (auto* v = inst.if_contains(member)) out[member] = *v;
  if (auto* ot = inst.if_contains(key::objectType)) out[key::objectType] = compactVocab(*ot, ctx);
  if (o.sysAttrs) {
    for (auto member : {key::createdAt, key::modifiedAt})
      if (auto* v = inst.if_contains(member); v && v->is_int64())
        out[member] = formatDateTime(v->get_int64());
  }
  if (auto* subs = inst.if_contains(key::subs); subs && subs->is_object()) {
    for (const auto& [name, sub] : subs->get_object()) {
      if (!sub.is_object() || isExpired(sub.get_object(), o.now)) continue;
      out[ctx.compact(name)] = renderInstance(sub.get_object(), ctx, o);
    }
  }
}

json::value renderInstance(const json::object& inst, const jsonld::Context& ctx,
                           const RenderOptions& o) {
  if (o.format == Format::Simplified) return simplifiedValue(inst, ctx, o);
  auto kind = kindOf(inst);
  std::string member(valueMember(kind));
  json::object out;
  if (o.format == Format::Normalized) out[key::type] = kindName(kind);
  const json::value* v = inst.if_contains(member);
  if (kind == AttributeKind::LanguageProperty && o.lang && *o.lang != "*" && v && v->is_object()) {
    if (auto picked = pickLanguage(v->get_object(), *o.lang)) {
      if (o.format == Format::Normalized) out[key::type] = "Property";
      out["value"] = picked->second;
      out["lang"] = picked->first;
      renderMembers(inst, out, ctx, o);
      return out;
    }
  }
  if (v) out[member] = kind == AttributeKind::VocabProperty ? compactVocab(*v, ctx) : *v;
  if (kind == AttributeKind::ListRelationship && v && v->is_array() && o.format == Format::Normalized) {
    json::array list;
    for (const auto& e : v->get_array()) list.push_back(json::object{{"object", e}});
    out[member] = std::move(list);
  }
  renderMembers(inst, out, ctx, o);
  if (o.format == Format::Concise && out.size() == 1 && v &&
      (kind == AttributeKind::Property || kind == AttributeKind::GeoProperty)) {
    // Nothing but the value: concise drops the wrapper unless that would be ambiguous.
    bool ambiguous = kind == AttributeKind::Property && (v->is_object() || v->is_array());
    if (!ambiguous) return *v;
  }
  return out;
}

json::value renderAttribute(const json::array& instances, const jsonld::Context& ctx,
                            const RenderOptions& o) {
  json::array kept;
  for (const auto& inst : instances) {
    if (!inst.is_object() || isExpired(inst.get_object(), o.now)) continue;
    if (o.datasetId) {
      std::string_view ds = datasetIdOf(inst.get_object());
      if (*o.datasetId == "@none" ? !ds.empty() : ds != *o.datasetId) continue;
    }
    kept.push_back(inst);
  }
  if (kept.empty()) return nullptr;
  if (kept.size() == 1) return renderInstance(kept[0].get_object(), ctx, o);
  if (o.format == Format::Simplified) {
    json::object dataset;
    for (const auto& inst : kept) {
      std::string_view ds = datasetIdOf(inst.get_object());
      dataset[ds.empty() ? "@none" : ds] = simplifiedValue(inst.get_object(), ctx, o);
    }
    return json::object{{"dataset", std::move(dataset)}};
  }
  json::array out;
  for (const auto& inst : kept) out.push_back(renderInstance(inst.get_object(), ctx, o));
  return out;
}

json::value compactTypes(const json::value& types, const jsonld::Context& ctx) {
  if (!types.is_array()) return types;
  const auto& a = types.get_array();
  if (a.size() == 1 && a[0].is_string()) return json::string(ctx.compact(a[0].get_string()));
  json::array out;
  for (const auto& t : a)
    if (t.is_string()) out.emplace_back(ctx.compact(t.get_string()));
  return out;
}

}  // namespace

json::object renderEntity(const json::object& entity, const jsonld::Context& ctx,
                          const RenderOptions& o) {
  json::object out;
  if (wanted(o, "id")) out[key::id] = entity.at(key::id);
  if (wanted(o, "type")) out[key::type] = compactTypes(entity.at(key::type), ctx);
  if (auto* s = entity.if_contains(key::scope); s && wanted(o, "scope")) out[key::scope] = *s;
  if (auto* e = entity.if_contains(key::expiresAt); e && wanted(o, "expiresAt")) out[key::expiresAt] = *e;
  if (o.sysAttrs) {
    for (auto member : {key::createdAt, key::modifiedAt})
      if (auto* v = entity.if_contains(member); v && v->is_int64())
        out[member] = formatDateTime(v->get_int64());
  }
  if (auto* attrs = entity.if_contains(key::attrs); attrs && attrs->is_object()) {
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

json::object renderFeature(const json::object& entity, const jsonld::Context& ctx,
                           const RenderOptions& options, const std::string& geometryProperty) {
  json::object properties = renderEntity(entity, ctx, options);
  json::object feature;
  feature[key::id] = entity.at(key::id);
  feature[key::type] = "Feature";
  json::value geometry = nullptr;
  if (auto* attrs = entity.if_contains(key::attrs); attrs && attrs->is_object()) {
    if (auto* g = attrs->get_object().if_contains(geometryProperty); g && g->is_array()) {
      for (const auto& inst : g->get_array()) {
        if (!inst.is_object() || isExpired(inst.get_object(), options.now)) continue;
        auto* v = inst.get_object().if_contains("value");
        if (v && looksLikeGeometry(*v)) {
          geometry = *v;
          break;
        }
      }
    }
  }
  feature["geometry"] = std::move(geometry);
  properties.erase(key::id);
  feature["properties"] = std::move(properties);
  return feature;
}

}  // namespace allmende::ngsi
