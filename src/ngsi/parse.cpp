// Entity and attribute input. The concise form is recognised by the members an
// attribute has (value -> Property, object -> Relationship, languageMap ->
// LanguageProperty, ...; a GeoJSON geometry -> GeoProperty; anything else ->
// Property with that value). Members that are not NGSI-LD keywords are
// sub-attributes, parsed by the same rules at any depth.
#include "ngsi/parse.h"

#include <set>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/geojson.h"
#include "ngsi/syntax.h"

namespace allmende::ngsi {

namespace {

constexpr std::string_view kValueMembers[] = {"value",    "object",    "languageMap", "vocab",
                                              "json",     "valueList", "objectList"};

// Members of an attribute that are not sub-attributes.
bool isReservedMember(std::string_view m) {
  static const std::set<std::string_view> reserved = {
      "type",       "value",      "object",     "languageMap", "vocab",      "json",
      "valueList",  "objectList", "datasetId",  "observedAt",  "unitCode",   "createdAt",
      "modifiedAt", "deletedAt",  "expiresAt",  "objectType",  "instanceId", "lang",
      "@context",   "previousValue", "previousObject", "previousLanguageMap", "previousVocab",
      "previousJson", "previousValueList", "previousObjectList"};
  return reserved.contains(m);
}

[[noreturn]] void bad(const std::string& detail) { fail(ErrorType::BadRequestData, detail); }

void checkDateTime(const json::value& v, const std::string& where) {
  if (!v.is_string() || !parseDateTime(v.get_string()))
    bad(where + " must be an ISO 8601 date-time string");
}

void checkUri(const json::value& v, const std::string& where) {
  if (!v.is_string() || !isUri(v.get_string())) bad(where + " must be a URI");
}

json::value expandVocab(const json::value& v, const jsonld::Context& ctx, const std::string& where) {
  if (v.is_string()) return json::string(ctx.expand(v.get_string()));
  if (v.is_array()) {
    json::array out;
    for (const auto& e : v.get_array()) {
      if (!e.is_string()) bad(where + ": vocab values must be strings");
      out.emplace_back(ctx.expand(e.get_string()));
    }
    return out;
  }
  bad(where + ": vocab must be a string or an array of strings");
}

void checkRelationshipObject(const json::value& v, const std::string& where) {
  if (v.is_string()) return checkUri(v, where + " object");
  if (v.is_array() && !v.get_array().empty()) {
    for (const auto& e : v.get_array()) checkUri(e, where + " object");
    return;
  }
  bad(where + ": a Relationship needs an \"object\" that is a URI");
}

json::value normalizeObjectList(const json::value& v, const std::string& where) {
  if (!v.is_array()) bad(where + ": objectList must be an array");
  json::array out;
  for (const auto& e : v.get_array()) {
    if (e.is_object() && e.get_object().contains("object")) {
      checkUri(e.get_object().at("object"), where + " objectList");
      out.push_back(e.get_object().at("object"));
    } else {
      checkUri(e, where + " objectList");
      out.push_back(e);
    }
  }
  return out;
}

void checkLanguageMap(const json::value& v, const std::string& where) {
  if (!v.is_object()) bad(where + ": languageMap must be a JSON object");
  for (const auto& [tag, text] : v.get_object()) {
    if (!isValidLanguageTag(tag)) bad(where + ": '" + std::string(tag) + "' is not a language tag");
    bool ok = text.is_string();
    if (text.is_array()) {
      ok = true;
      for (const auto& t : text.get_array()) ok = ok && t.is_string();
    }
    if (!ok) bad(where + ": languageMap values must be strings");
  }
}

std::optional<AttributeKind> inferKind(const json::object& obj) {
  if (obj.contains("value")) {
    return looksLikeGeometry(obj.at("value")) ? AttributeKind::GeoProperty : AttributeKind::Property;
  }
  if (obj.contains("object")) return AttributeKind::Relationship;
  if (obj.contains("languageMap")) return AttributeKind::LanguageProperty;
  if (obj.contains("vocab")) return AttributeKind::VocabProperty;
  if (obj.contains("json")) return AttributeKind::JsonProperty;
  if (obj.contains("valueList")) return AttributeKind::ListProperty;
  if (obj.contains("objectList")) return AttributeKind::ListRelationship;
  return std::nullopt;
}

json::object parseInstance(const json::value& input, const std::string& name,
                           const jsonld::Context& ctx, ParseMode mode, int depth);
void parseMetadata(const json::object& obj, json::object& out, const std::string& name,
                   const jsonld::Context& ctx, ParseMode mode, std::optional<AttributeKind> kind);

void parseSubAttributes(const json::object& obj, json::object& out, const std::string& name,
                        const jsonld::Context& ctx, ParseMode mode, int depth) {
  json::object subs;
  for (const auto& [member, value] : obj) {
    if (isReservedMember(member)) continue;
    std::string sub(member);
    if (!isValidName(sub) || sub[0] == '@') bad(name + ": invalid sub-attribute name '" + sub + "'");
    std::string where = name + "." + sub;
    if (mode == ParseMode::Patch && isNgsiNull(value)) {
      subs[ctx.expand(sub)] = nullptr;  // deletion marker for merge semantics
      continue;
    }
    if (value.is_array() && !value.get_array().empty() && value.get_array()[0].is_object() &&
        inferKind(value.get_array()[0].get_object()))
      bad(where + ": a sub-attribute cannot have several instances");
    subs[ctx.expand(sub)] = parseInstance(value, where, ctx, mode, depth + 1);
  }
  if (!subs.empty()) out[key::subs] = std::move(subs);
}

json::object parseInstance(const json::value& input, const std::string& name,
                           const jsonld::Context& ctx, ParseMode mode, int depth) {
  if (depth > 16) bad(name + ": sub-attributes are nested too deeply");
  json::object out;
  if (!input.is_object()) {
    if (input.is_null()) bad(name + ": the attribute value must not be null");
    out[key::type] = "Property";
    out["value"] = input;
    return out;
  }
  const auto& obj = input.get_object();
  std::optional<AttributeKind> kind;
  if (auto* t = obj.if_contains("type")) {
    if (!t->is_string()) bad(name + ": the attribute type must be a string");
    kind = kindFromName(t->get_string());
    if (!kind) {
      if (looksLikeGeometry(input)) {  // concise GeoProperty: the geometry itself
        if (auto e = geometryError(input); !e.empty()) bad(name + ": invalid GeoJSON: " + e);
        out[key::type] = "GeoProperty";
        out["value"] = input;
        return out;
      }
      bad(name + ": '" + std::string(t->get_string()) + "' is not an NGSI-LD attribute type");
    }
  } else {
    kind = inferKind(obj);
    if (!kind && mode == ParseMode::Patch) {
      // A partial instance: only metadata and sub-attributes change.
      parseMetadata(obj, out, name, ctx, mode, std::nullopt);
      parseSubAttributes(obj, out, name, ctx, mode, depth);
      return out;
    }
    if (!kind) {
      out[key::type] = "Property";
      out["value"] = input;
      return out;
    }
  }
  std::string_view member = valueMember(*kind);
  const json::value* value = obj.if_contains(member);
  out[key::type] = kindName(*kind);
  bool nullValue = value && isNgsiNull(*value);
  if (!value || (nullValue && mode != ParseMode::Patch)) {
    if (mode != ParseMode::Patch)
      bad(name + ": a " + std::string(kindName(*kind)) + " needs a non-null \"" + std::string(member) + "\"");
  } else if (nullValue) {
    out[member] = *value;
  } else {
    switch (*kind) {
      case AttributeKind::Property:
        out[member] = *value;
        break;
      case AttributeKind::GeoProperty:
        if (auto e = geometryError(*value); !e.empty()) bad(name + ": invalid GeoJSON: " + e);
        out[member] = *value;
        break;
      case AttributeKind::Relationship:
        checkRelationshipObject(*value, name);
        out[member] = *value;
        break;
      case AttributeKind::LanguageProperty:
        checkLanguageMap(*value, name);
        out[member] = *value;
        break;
      case AttributeKind::VocabProperty:
        out[member] = expandVocab(*value, ctx, name);
        break;
      case AttributeKind::JsonProperty:
        out[member] = *value;
        break;
      case AttributeKind::ListProperty:
        if (!value->is_array()) bad(name + ": valueList must be an array");
        out[member] = *value;
        break;
      case AttributeKind::ListRelationship:
        out[member] = normalizeObjectList(*value, name);
        break;
    }
  }
  parseMetadata(obj, out, name, ctx, mode, kind);
  parseSubAttributes(obj, out, name, ctx, mode, depth);
  return out;
}

void parseMetadata(const json::object& obj, json::object& out, const std::string& name,
                   const jsonld::Context& ctx, ParseMode mode, std::optional<AttributeKind> kind) {
  if (auto* d = obj.if_contains("datasetId")) {
    checkUri(*d, name + " datasetId");
    out[key::datasetId] = *d;
  }
  if (auto* o = obj.if_contains("observedAt")) {
    if (!(mode == ParseMode::Patch && isNgsiNull(*o))) checkDateTime(*o, name + " observedAt");
    out[key::observedAt] = *o;
  }
  if (auto* u = obj.if_contains("unitCode")) {
    if (!u->is_string() && !(mode == ParseMode::Patch && isNgsiNull(*u)))
      bad(name + ": unitCode must be a string");
    out[key::unitCode] = *u;
  }
  if (auto* e = obj.if_contains("expiresAt")) {
    checkDateTime(*e, name + " expiresAt");
    out[key::expiresAt] = *e;
  }
  if (auto* ot = obj.if_contains("objectType")) {
    if (kind && *kind != AttributeKind::Relationship && *kind != AttributeKind::ListRelationship)
      bad(name + ": objectType is only allowed on relationships");
    out[key::objectType] = expandVocab(*ot, ctx, name + " objectType");
  }
}

bool looksLikeInstanceArray(const json::array& a) {
  if (a.empty()) return false;
  for (const auto& e : a) {
    if (!e.is_object()) return false;
    const auto& o = e.get_object();
    auto* t = o.if_contains("type");
    bool typed = t && t->is_string() && kindFromName(t->get_string());
    if (!typed && !inferKind(o)) return false;
  }
  return true;
}

json::array parseTypes(const json::value& v, const jsonld::Context& ctx) {
  json::array types;
  auto add = [&](const json::value& t) {
    if (!t.is_string() || !isValidName(t.get_string()))
      bad("the entity type must be a valid name (got " + json::serialize(t) + ")");
    std::string iri = ctx.expand(t.get_string());
    if (std::find(types.begin(), types.end(), json::value(iri)) == types.end()) types.emplace_back(iri);
  };
  if (v.is_array()) {
    if (v.get_array().empty()) bad("the entity type list must not be empty");
    for (const auto& t : v.get_array()) add(t);
  } else {
    add(v);
  }
  return types;
}

json::array parseScopes(const json::value& v) {
  json::array scopes;
  auto add = [&](const json::value& s) {
    if (!s.is_string() || !isValidScope(s.get_string()))
      bad("scope must be a string like \"/Madrid/Centro\" (got " + json::serialize(s) + ")");
    scopes.push_back(s);
  };
  if (v.is_array())
    for (const auto& s : v.get_array()) add(s);
  else
    add(v);
  return scopes;
}

}  // namespace

bool isNgsiNull(const json::value& v) {
  return v.is_null() || (v.is_string() && v.get_string() == "urn:ngsi-ld:null");
}

json::array parseAttribute(const json::value& value, const std::string& name,
                           const jsonld::Context& ctx, ParseMode mode) {
  json::array instances;
  if (value.is_array() && looksLikeInstanceArray(value.get_array())) {
    std::set<std::string> seen;
    for (const auto& e : value.get_array()) {
      auto inst = parseInstance(e, name, ctx, mode, 0);
      std::string ds(datasetIdOf(inst));
      if (!seen.insert(ds).second)
        bad(name + ": two instances with the same datasetId" + (ds.empty() ? " (default)" : " '" + ds + "'"));
      instances.push_back(std::move(inst));
    }
    return instances;
  }
  if (mode == ParseMode::Patch && isNgsiNull(value)) {
    json::object marker;
    marker[key::type] = "Property";
    marker["value"] = nullptr;
    instances.push_back(std::move(marker));
    return instances;
  }
  instances.push_back(parseInstance(value, name, ctx, mode, 0));
  return instances;
}

json::object parseEntity(const json::object& body, const jsonld::Context& ctx, ParseMode mode) {
  json::object entity;
  json::object attrs;
  for (const auto& [member, value] : body) {
    std::string_view m = member;
    if (m == "id" || m == "@id") {
      if (!value.is_string() || !isUri(value.get_string()))
        bad("the entity id must be a URI (got " + json::serialize(value) + ")");
      entity[key::id] = value;
    } else if (m == "type" || m == "@type") {
      entity[key::type] = parseTypes(value, ctx);
    } else if (m == "scope") {
      if (mode == ParseMode::Patch && isNgsiNull(value))
        entity[key::scope] = nullptr;
      else
        entity[key::scope] = parseScopes(value);
    } else if (m == "expiresAt") {
      checkDateTime(value, "expiresAt");
      entity[key::expiresAt] = value;
    } else if (m == "@context" || m == "createdAt" || m == "modifiedAt" || m == "deletedAt") {
      continue;
    } else {
      std::string name(m);
      if (!isValidName(name) || name[0] == '@') bad("invalid attribute name '" + name + "'");
      attrs[ctx.expand(name)] = parseAttribute(value, name, ctx, mode);
    }
  }
  if (mode == ParseMode::Create) {
    if (!entity.contains(key::id)) bad("the entity has no id");
    if (!entity.contains(key::type)) bad("the entity has no type");
  }
  entity[key::attrs] = std::move(attrs);
  return entity;
}

}  // namespace allmende::ngsi
