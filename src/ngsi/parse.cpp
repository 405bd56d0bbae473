// Entity and attribute input. The concise form is recognised by the members an
// attribute has (value -> Property, object -> Relationship, languageMap ->
// LanguageProperty, ...; a GeoJSON geometry -> GeoProperty; anything else ->
// Property with that value). Members that are not NGSI-LD keywords are
// sub-attributes, parsed by the same rules at any depth. Each attribute kind
// allows only its own members (clause 4.5): e.g. a Relationship has no unitCode.
#include "ngsi/parse.h"

#include <algorithm>
#include <unordered_set>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/geojson.h"
#include "ngsi/syntax.h"

namespace allmende::ngsi {

namespace {

const std::string kNgsiLd = "https://uri.etsi.org/ngsi-ld/";
const std::string kProof = kNgsiLd + "ngsildproof";

// Members of an attribute that are never sub-attributes (a switch on the first
// letter: this runs for every member of every attribute).
bool isReservedMember(std::string_view m) {
  auto any = [m](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), m) != names.end();
  };
  if (m.empty()) return false;
  switch (m[0]) {
    case '@': return true;
    case 'c': return m == "createdAt";
    case 'd': return any({"datasetId", "deletedAt"});
    case 'e': return any({"expiresAt", "entityIdSealed", "entityTypeSealed"});
    case 'i': return m == "instanceId";
    case 'j': return m == "json";
    case 'l': return any({"languageMap", "lang"});
    case 'm': return m == "modifiedAt";
    case 'o': return any({"object", "observedAt", "objectList", "objectType"});
    case 'p':
      return any({"previousValue", "previousObject", "previousLanguageMap", "previousVocab", "previousJson",
                  "previousValueList", "previousObjectList"});
    case 't': return m == "type";
    case 'u': return m == "unitCode";
    case 'v': return any({"value", "vocab", "valueList", "valueType"});
    default: return false;
  }
}

constexpr std::string_view kValueMembers[] = {"value", "object", "languageMap", "vocab",
                                              "json",  "valueList", "objectList"};

[[noreturn]] void bad(const std::string& detail) { fail(ErrorType::BadRequestData, detail); }

bool allowsNull(ParseMode mode) { return mode == ParseMode::Patch || mode == ParseMode::Merge; }

// "<where> <member>" for error details; built only when a check fails.
std::string subject(std::string_view where, std::string_view member) {
  std::string s(where);
  if (!member.empty()) s.append(" ").append(member);
  return s;
}

void checkDateTime(const json::value& v, std::string_view where, std::string_view member = {}) {
  if (!v.is_string() || !parseDateTime(v.get_string()) || !v.get_string().ends_with("Z"))
    bad(subject(where, member) + " must be an ISO 8601 UTC date-time string ending in Z");
}

void checkUri(const json::value& v, std::string_view where, std::string_view member = {}) {
  if (!v.is_string()) bad(subject(where, member) + " must be a URI");
  if (!isUri(v.get_string())) bad(notUriDetail(subject(where, member), v.get_string()));
}

// A name of a type or attribute: valid characters, not a JSON-LD keyword, and a
// short name (no ':') starts with a letter or '_'.
void checkName(std::string_view name, const std::string& what) {
  bool ok = isValidName(name) && name[0] != '@';
  if (ok && name.find(':') == std::string_view::npos) {
    unsigned char c = static_cast<unsigned char>(name[0]);
    ok = std::isalpha(c) || c == '_' || c >= 0x80;
  }
  if (!ok) bad("invalid " + what + " '" + std::string(name) + "'");
}

// Rejects "urn:ngsi-ld:null" nested in a value (only Merge gives it a meaning there).
void checkNoNestedNull(const json::value& v, const std::string& where) {
  if (v.is_string() && v.get_string() == "urn:ngsi-ld:null")
    bad(where + ": urn:ngsi-ld:null is not allowed inside a value");
  if (v.is_array())
    for (const auto& e : v.get_array()) checkNoNestedNull(e, where);
  if (v.is_object())
    for (const auto& [k, e] : v.get_object()) checkNoNestedNull(e, where);
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
  if (v.is_string()) return checkUri(v, where, "object");
  if (v.is_array() && !v.get_array().empty()) {
    for (const auto& e : v.get_array()) checkUri(e, where, "object");
    return;
  }
  bad(where + ": a Relationship needs an \"object\" that is a URI");
}

json::value normalizeObjectList(const json::value& v, const std::string& where) {
  if (!v.is_array()) bad(where + ": objectList must be an array");
  json::array out;
  for (const auto& e : v.get_array()) {
    const json::value& uri =
        e.is_object() && e.get_object().contains("object") ? e.get_object().at("object") : e;
    checkUri(uri, where, "objectList entries");
    out.push_back(uri);
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
    if (!ok) bad(where + ": languageMap values must be strings or arrays of strings");
    checkNoNestedNull(text, where);
  }
}

// A GeoProperty value, made a geometry object in place if it is a JSON string
// holding one.
void geometryValue(json::value& v, const std::string& where) {
  if (v.is_string()) {
    json::error_code ec;
    json::value parsed = json::parse(v.get_string(), ec, v.storage());
    if (ec) bad(where + ": a GeoProperty value must be a GeoJSON geometry");
    v = std::move(parsed);
  }
  if (looksLikeGeometry(v) && v.at("type").as_string() == "GeometryCollection")
    bad(where + ": GeometryCollection is not supported as a GeoProperty value");
  if (auto e = geometryError(v); !e.empty()) bad(where + ": invalid GeoJSON: " + e);
}

bool isGeoOnlyName(const std::string& iri) {
  static const std::string names[] = {kNgsiLd + "location", kNgsiLd + "observationSpace",
                                      kNgsiLd + "operationSpace"};
  return std::find(std::begin(names), std::end(names), iri) != std::end(names);
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

// The input becomes the internal form: an instance object of the input is
// taken over (moved, not copied, when it is in `sp` already), checked and
// normalised member by member in place, and rebuilt only when it is not in the
// stored order (type, value member, the other members as given, subs).
struct Parser {
  const jsonld::Context& ctx;
  ParseMode mode;
  json::storage_ptr sp;  // where the internal form is built

  json::object instance(json::value& input, const std::string& name, const std::string& iri, int depth);
  json::object wrapped(json::value& v, AttributeKind kind, const std::string& name);
  void value(json::value& v, AttributeKind kind, const std::string& name);
  void members(json::object& obj, const std::string& name, const std::string& iri,
               std::optional<AttributeKind> kind);
  json::object subAttributes(json::object& obj, const std::string& name, int depth);
};

// Checks a value member and normalises it in place.
void Parser::value(json::value& v, AttributeKind kind, const std::string& name) {
  std::string_view member = valueMember(kind);
  if (v.is_null()) bad(name + ": JSON null is not a value; urn:ngsi-ld:null deletes in updates");
  if (isNgsiNull(v)) {
    if (!allowsNull(mode)) bad(name + ": \"" + std::string(member) + "\" must not be null");
    v = nullptr;
    return;
  }
  switch (kind) {
    case AttributeKind::Property:
      if (mode != ParseMode::Merge) checkNoNestedNull(v, name);
      return;
    case AttributeKind::GeoProperty:
      geometryValue(v, name);
      return;
    case AttributeKind::Relationship:
      checkRelationshipObject(v, name);
      return;
    case AttributeKind::LanguageProperty:
      if (allowsNull(mode) && v.is_object() && v.get_object().size() == 1 &&
          v.get_object().contains("@none") && isNgsiNull(v.get_object().at("@none"))) {
        v = nullptr;  // {"@none": "urn:ngsi-ld:null"} deletes a LanguageProperty
        return;
      }
      checkLanguageMap(v, name);
      return;
    case AttributeKind::VocabProperty:
      v = expandVocab(v, ctx, name);
      return;
    case AttributeKind::JsonProperty:
      if (!v.is_object() && !v.is_array()) bad(name + ": json must be a JSON object or array");
      return;
    case AttributeKind::ListProperty:
      if (!v.is_array()) bad(name + ": valueList must be an array");
      checkNoNestedNull(v, name);
      return;
    case AttributeKind::ListRelationship:
      v = normalizeObjectList(v, name);
      return;
  }
}

// A concise value as an instance of `kind`: {"type": <kind>, <value member>: v}.
json::object Parser::wrapped(json::value& v, AttributeKind kind, const std::string& name) {
  value(v, kind, name);
  json::object out(4, sp);  // room for the timestamps added on write
  out.emplace(key::type, kindName(kind));
  out.emplace(valueMember(kind), std::move(v));
  return out;
}

// Whether an instance member is part of the internal form (sub-attributes go
// under "subs"; members the broker sets, like createdAt, and the default
// datasetId spelled "@none" are left out).
bool storedMember(std::string_view m, const json::value& v) {
  switch (m.size()) {  // this runs for every member of every instance written
    case 4: return m == "type" || m == "json";
    case 5: return m == "value" || m == "vocab";
    case 6: return m == "object";
    case 8: return m == "unitCode";
    case 9:
      if (m == "datasetId") return !(v.is_string() && v.get_string() == "@none");
      return m == "expiresAt" || m == "valueList" || m == "valueType";
    case 10: return m == "observedAt" || m == "objectType" || m == "objectList";
    case 11: return m == "languageMap";
    case 14: return m == "entityIdSealed";
    case 16: return m == "entityTypeSealed";
    default: return false;
  }
}

// Checks and normalises the metadata members in place.
void Parser::members(json::object& obj, const std::string& name, const std::string& iri,
                     std::optional<AttributeKind> kind) {
  auto is = [&kind](std::initializer_list<AttributeKind> kinds) {
    if (!kind) return true;  // a partial instance: its kind is the stored one
    for (auto k : kinds)
      if (*kind == k) return true;
    return false;
  };
  bool proof = iri == kProof;
  for (auto& [member, v] : obj) {
    std::string_view m = member;
    if (m == "type" || (kind && m == valueMember(*kind))) {
      continue;
    } else if (m == "datasetId") {
      if (v.is_string() && v.get_string() == "@none") continue;  // the default instance, spelled out
      if (isNgsiNull(v)) bad(name + ": datasetId must not be null");
      checkUri(v, name, "datasetId");
    } else if (m == "observedAt") {
      if (!(allowsNull(mode) && isNgsiNull(v))) checkDateTime(v, name, "observedAt");
    } else if (m == "unitCode") {
      if (!is({AttributeKind::Property, AttributeKind::ListProperty}))
        bad(name + ": a " + std::string(kindName(*kind)) + " cannot have a unitCode");
      if (!v.is_string() && !(allowsNull(mode) && isNgsiNull(v))) bad(name + ": unitCode must be a string");
    } else if (m == "expiresAt") {
      checkDateTime(v, name, "expiresAt");
    } else if (m == "objectType") {
      if (!is({AttributeKind::Relationship, AttributeKind::ListRelationship}))
        bad(name + ": objectType is only allowed on relationships");
      v = expandVocab(v, ctx, name + " objectType");
    } else if (m == "valueType") {
      if (!v.is_string()) bad(name + ": valueType must be a string");
      if (kind == AttributeKind::LanguageProperty && v.get_string() != "langString")
        bad(name + ": the valueType of a LanguageProperty must be langString");
    } else if (kind && std::find(std::begin(kValueMembers), std::end(kValueMembers), m) != std::end(kValueMembers)) {
      bad(name + ": a " + std::string(kindName(*kind)) + " cannot have \"" + std::string(m) + "\"");
    } else if (m.starts_with("previous")) {
      bad(name + ": \"" + std::string(m) + "\" is only produced by the broker");
    } else if (m == "@context") {
      bad(name + ": an attribute cannot carry its own @context");
    } else if (m == "entityIdSealed" || m == "entityTypeSealed") {
      if (!proof) bad(name + ": \"" + std::string(m) + "\" is only allowed in ngsildproof");
      if (!v.is_string()) bad(name + ": " + std::string(m) + " must be a string");
      if (m == "entityTypeSealed") v = ctx.expand(v.get_string());
    }
  }
  if (proof)
    if (auto* v = obj.if_contains("value"); v && !v->is_object())
      bad(name + ": the value of ngsildproof must be a proof object");
}

// The sub-attributes among the members, parsed.
json::object Parser::subAttributes(json::object& obj, const std::string& name, int depth) {
  json::object subs(sp);
  for (auto& [member, v] : obj) {
    if (isReservedMember(member)) continue;
    std::string sub(member);
    checkName(sub, "sub-attribute name in " + name);
    std::string where = name + "." + sub;
    std::string subIri = ctx.expand(sub);
    // A compact IRI whose prefix is a core term ("value:") names that term's IRI:
    // rendered, it would be that member of the attribute, not a sub-attribute.
    if (auto compacted = ctx.compact(subIri); isReservedMember(compacted))
      bad(where + ": names the NGSI-LD member \"" + compacted + "\" (" + subIri + "), not a sub-attribute");
    if (allowsNull(mode) && isNgsiNull(v)) {
      subs[subIri] = nullptr;  // deletes the sub-attribute
      continue;
    }
    if (v.is_array() && !v.get_array().empty() && v.get_array()[0].is_object() &&
        inferKind(v.get_array()[0].get_object()))
      bad(where + ": a sub-attribute cannot have several instances");
    subs[subIri] = instance(v, where, subIri, depth + 1);
  }
  return subs;
}

json::object Parser::instance(json::value& input, const std::string& name, const std::string& iri, int depth) {
  if (depth > 16) bad(name + ": sub-attributes are nested too deeply");
  if (!input.is_object()) {
    if (input.is_null()) bad(name + ": the attribute value must not be null");
    if (isGeoOnlyName(iri)) bad(name + " must be a GeoProperty");
    return wrapped(input, AttributeKind::Property, name);
  }
  std::optional<AttributeKind> kind;
  if (auto* t = input.get_object().if_contains("type")) {
    if (!t->is_string()) bad(name + ": the attribute type must be a string");
    kind = kindFromName(t->get_string());
    if (!kind) {
      if (looksLikeGeometry(input)) return wrapped(input, AttributeKind::GeoProperty, name);  // concise GeoProperty
      bad(name + ": '" + std::string(t->get_string()) + "' is not an NGSI-LD attribute type");
    }
  } else {
    kind = inferKind(input.get_object());
    if (!kind && !allowsNull(mode)) {
      if (isGeoOnlyName(iri)) bad(name + " must be a GeoProperty");
      return wrapped(input, AttributeKind::Property, name);
    }
  }
  json::object obj(std::move(input.get_object()), sp);
  std::string_view member;
  if (kind) {  // else a partial instance (Patch, Merge): only metadata and sub-attributes change
    if (isGeoOnlyName(iri) && *kind != AttributeKind::GeoProperty) bad(name + " must be a GeoProperty");
    member = valueMember(*kind);
    if (json::value* v = obj.if_contains(member))
      value(*v, *kind, name);
    else if (!allowsNull(mode))
      bad(name + ": a " + std::string(kindName(*kind)) + " needs \"" + std::string(member) + "\"");
  }
  members(obj, name, iri, kind);
  bool asGiven = std::all_of(obj.begin(), obj.end(), [](const auto& m) { return storedMember(m.key(), m.value()); });
  json::object subs = asGiven ? json::object(sp) : subAttributes(obj, name, depth);
  if (kind) {
    auto* t = obj.if_contains(key::type);
    asGiven = asGiven && t && obj.begin()->key() == key::type &&
              (obj.size() == 1 || !obj.contains(member) || std::next(obj.begin())->key() == member);
    if (t) *t = kindName(*kind);
  }
  if (asGiven) {
    obj.reserve(obj.size() + 2);  // the timestamps added on write
    return obj;
  }
  json::object out(obj.size() + 3, sp);
  if (kind) {
    out.emplace(key::type, kindName(*kind));
    if (auto* v = obj.if_contains(member)) out.emplace(member, std::move(*v));
  }
  for (auto& [m, v] : obj)
    if (m != key::type && m != member && storedMember(m, v)) out.emplace(m, std::move(v));
  if (!subs.empty()) out.emplace(key::subs, std::move(subs));
  return out;
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

json::array parseTypes(const json::value& v, const jsonld::Context& ctx, json::storage_ptr storage) {
  json::array types(storage);
  std::string iri;
  auto add = [&](const json::value& t) {
    if (!t.is_string()) bad("the entity type must be a string (got " + json::serialize(t) + ")");
    checkName(t.get_string(), "entity type");
    ctx.expandInto(t.get_string(), iri);
    if (iri.empty() || iri[0] == '@') bad("the entity type '" + std::string(t.get_string()) + "' is a JSON-LD keyword");
    if (std::none_of(types.begin(), types.end(), [&](const json::value& have) { return have.get_string() == iri; }))
      types.emplace_back(iri);
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

// Attribute names that are non-reified core terms of the data model (4.5.x; the
// conformance suite rejects datasetId, instanceId and observedAt as names). Names
// like "vocab" or "value" stay usable as attribute names (422_08).
bool isReservedAttributeName(std::string_view name) {
  return name == "datasetId" || name == "instanceId" || name == "observedAt" || name == "unitCode" ||
         name.starts_with("@");
}

}  // namespace

bool isNgsiNull(const json::value& v) { return v.is_string() && v.get_string() == "urn:ngsi-ld:null"; }

bool isDeletion(const json::object& instance) {
  auto* v = instance.if_contains(valueMember(kindOf(instance)));
  return v && v->is_null();
}

json::array parseAttribute(json::value value, const std::string& name, const std::string& iri,
                           const jsonld::Context& ctx, ParseMode mode, json::storage_ptr storage) {
  Parser parser{ctx, mode, storage};
  json::array instances(storage);
  if (value.is_array() && looksLikeInstanceArray(value.get_array())) {
    std::unordered_set<std::string> datasetIds;  // by hash: an attribute may have many instances
    for (auto& e : value.get_array()) {
      auto inst = parser.instance(e, name, iri, 0);
      std::string_view ds = datasetIdOf(inst);
      if (!datasetIds.emplace(ds).second)
        bad(name + ": two instances with the same datasetId" + (ds.empty() ? " (default)" : " '" + std::string(ds) + "'"));
      instances.push_back(std::move(inst));
    }
    return instances;
  }
  if (allowsNull(mode) && isNgsiNull(value)) {
    instances.push_back(json::object{{key::type, "Property"}, {"value", nullptr}});
    return instances;
  }
  instances.push_back(parser.instance(value, name, iri, 0));
  return instances;
}

json::object parseEntity(json::object body, const jsonld::Context& ctx, ParseMode mode,
                         json::storage_ptr storage) {
  json::object entity(6, storage);
  json::object attrs(body.size(), storage);
  std::string iri;
  for (auto& [member, value] : body) {
    std::string_view m = member;
    if (m == "id" || m == "@id") {
      if (!value.is_string() || isNgsiNull(value))
        bad("the entity id must be a URI (got " + json::serialize(value) + ")");
      if (!isUri(value.get_string())) bad(notUriDetail("the entity id", value.get_string()));
      entity[key::id] = std::move(value);
    } else if (m == "type" || m == "@type") {
      entity[key::type] = parseTypes(value, ctx, storage);
    } else if (m == "scope") {
      entity[key::scope] = allowsNull(mode) && isNgsiNull(value) ? json::value(nullptr) : parseScopes(value);
    } else if (m == "expiresAt") {
      if (allowsNull(mode) && isNgsiNull(value)) {  // a fragment removes it (5.5.4)
        entity[key::expiresAt] = nullptr;
        continue;
      }
      checkDateTime(value, "expiresAt");
      entity[key::expiresAt] = value;
    } else if (m == "@context" || m == "createdAt" || m == "modifiedAt" || m == "deletedAt") {
      continue;
    } else {
      std::string name(m);
      if (isReservedAttributeName(name)) bad("'" + name + "' is an NGSI-LD keyword, not an attribute name");
      checkName(name, "attribute name");
      ctx.expandInto(name, iri);
      attrs[iri] = parseAttribute(std::move(value), name, iri, ctx, mode, storage);
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
