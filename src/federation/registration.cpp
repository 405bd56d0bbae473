// Registration members one by one (each checked and, where it holds terms,
// expanded), then the rules between members; GET rendering compacts back.
#include "federation/registration.h"

#include <set>

#include "federation/operations.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "ngsi/geojson.h"
#include "ngsi/members.h"
#include "ngsi/syntax.h"
#include "query/entity_selector.h"

namespace allmende::federation {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

// Members the data type defines; any other name is a Context Source Property.
const std::set<std::string_view> kMembers = {"id",
                                             "type",
                                             "registrationName",
                                             "description",
                                             "information",
                                             "tenant",
                                             "observationInterval",
                                             "managementInterval",
                                             "location",
                                             "observationSpace",
                                             "operationSpace",
                                             "expiresAt",
                                             "endpoint",
                                             "contextSourceInfo",
                                             "scope",
                                             "mode",
                                             "operations",
                                             "refreshRate",
                                             "management",
                                             "datasetId",
                                             "contextSourceAlias",
                                             "localOnly"};
const std::set<std::string_view> kReadOnly = {"status",      "timesSent",   "timesFailed",
                                              "lastSuccess", "lastFailure", "createdAt",
                                              "modifiedAt",  "deletedAt"};
const std::set<std::string_view> kRequired = {"type", "information", "endpoint"};

[[noreturn]] void bad(const std::string& detail) {
  fail(ErrorType::BadRequestData, detail);
}

const json::object& object(const json::value& v, const std::string& member) {
  if (!v.is_object()) bad(member + " must be an object");
  return v.get_object();
}

std::string text(const json::value& v, const std::string& member) {
  if (!v.is_string()) bad(member + " must be a string");
  return std::string(v.get_string());
}

json::object entityInfo(const json::value& v, const std::string& where,
                        const jsonld::Context& ctx) {
  const auto& e = object(v, where);
  json::object out;
  for (const auto& [name, value] : e) {
    if (name == "id") {
      if (!value.is_string() || !ngsi::isUri(value.get_string())) bad(where + ".id must be a URI");
      out["id"] = value;
    } else if (name == "idPattern") {
      query::compileIdPattern(text(value, where + ".idPattern"));
      out["idPattern"] = value;
    } else if (name == "type") {
      auto type = text(value, where + ".type");
      if (!ngsi::isValidName(type)) bad(where + ".type '" + type + "' is not a valid type name");
      out["type"] = ctx.expand(type);
    } else {
      bad(where + " has an unknown member '" + std::string(name) + "' (id, idPattern or type)");
    }
  }
  if (out.contains("id") && out.contains("idPattern"))
    bad(where + " cannot have both id and idPattern");
  if (out.empty()) bad(where + " needs an id, an idPattern or a type");
  return out;
}

json::array information(const json::value& v, const jsonld::Context& ctx) {
  if (!v.is_array() || v.get_array().empty())
    bad("information must be a non-empty array of RegistrationInfo");
  json::array out;
  for (size_t i = 0; i < v.get_array().size(); ++i) {
    std::string where = "information[" + std::to_string(i) + "]";
    const auto& info = object(v.get_array()[i], where);
    json::object o;
    for (const auto& [name, value] : info) {
      if (name == "entities") {
        if (!value.is_array() || value.get_array().empty())
          bad(where + ".entities must be a non-empty array");
        json::array entities;
        for (size_t j = 0; j < value.get_array().size(); ++j)
          entities.push_back(entityInfo(value.get_array()[j],
                                        where + ".entities[" + std::to_string(j) + "]", ctx));
        o["entities"] = std::move(entities);
      } else if (name == "propertyNames" || name == "relationshipNames") {
        o[name] = ngsi::expandedNames(value, where + "." + std::string(name), ctx);
      } else {
        bad(where + " has an unknown member '" + std::string(name) +
            "' (entities, propertyNames or relationshipNames)");
      }
    }
    if (o.empty()) bad(where + " needs entities, propertyNames or relationshipNames");
    out.push_back(std::move(o));
  }
  return out;
}

void timeInterval(const json::value& v, const std::string& member) {
  const auto& o = object(v, member);
  auto at = [&](std::string_view name) -> std::optional<int64_t> {
    auto* t = o.if_contains(name);
    if (!t) return std::nullopt;
    auto ms = t->is_string() ? ngsi::parseDateTime(t->get_string()) : std::nullopt;
    if (!ms) bad(member + "." + std::string(name) + " must be a DateTime");
    return ms;
  };
  for (const auto& [name, value] : o)
    if (name != "startAt" && name != "endAt")
      bad(member + " has an unknown member '" + std::string(name) + "'");
  auto start = at("startAt");
  auto end = at("endAt");
  if (!start) bad(member + " needs a startAt");
  if (end && *end <= *start) bad(member + ".endAt must lie after its startAt");
}

void management(const json::value& v) {
  const auto& o = object(v, "management");
  for (const auto& [name, value] : o) {
    if (name == "localOnly") {
      if (!value.is_bool()) bad("management.localOnly must be true or false");
    } else if (name == "cacheDuration") {
      if (!value.is_string() || !ngsi::parseDuration(value.get_string()))
        bad("management.cacheDuration must be an ISO 8601 duration (e.g. PT5M)");
    } else if (name == "timeout" || name == "cooldown") {
      if (!value.is_number() || value.to_number<double>() <= 0)
        bad("management." + std::string(name) + " must be a positive number of milliseconds");
    } else {
      bad("management has an unknown member '" + std::string(name) +
          "' (localOnly, cacheDuration, timeout or cooldown)");
    }
  }
}

// One top-level member, checked (and for terms expanded); nullopt = drop it.
std::optional<json::value> member(std::string_view name, const json::value& v,
                                  const jsonld::Context& ctx, int64_t now) {
  std::string n(name);
  if (name == "type") {
    if (!v.is_string() || v.get_string() != "ContextSourceRegistration")
      bad("type must be \"ContextSourceRegistration\"");
    return v;
  }
  if (name == "registrationName" || name == "description" || name == "tenant" ||
      name == "contextSourceAlias") {
    text(v, n);
    if (name == "tenant" && !ngsi::isValidTenant(v.get_string()))
      bad("tenant is not a valid tenant name");
    return v;
  }
  if (name == "information") return information(v, ctx);
  if (name == "observationInterval" || name == "managementInterval") {
    timeInterval(v, n);
    return v;
  }
  if (name == "location" || name == "observationSpace" || name == "operationSpace") {
    if (auto error = ngsi::geometryError(v); !error.empty())
      bad(n + " must be a GeoJSON geometry: " + error);
    return v;
  }
  if (name == "expiresAt") {
    ngsi::futureDateTime(v, "expiresAt", now);
    return v;
  }
  if (name == "endpoint") {
    if (!v.is_string() || !ngsi::isUri(v.get_string())) bad("endpoint must be an absolute URI");
    std::string_view e = v.get_string();
    if (!e.starts_with("http://") && !e.starts_with("https://"))
      bad("endpoint must be an http or https URI");
    return v;
  }
  if (name == "contextSourceInfo") return ngsi::keyValuePairs(v, "contextSourceInfo");
  if (name == "scope") {
    if (!v.is_string() && !v.is_array()) bad("scope must be a scope or an array of scopes");
    for (const auto& s : v.is_array() ? v.get_array() : json::array{v})
      if (!s.is_string() || !ngsi::isValidScope(s.get_string()))
        bad("scope must hold scopes such as /Madrid/Centro");
    return v;
  }
  if (name == "mode") {
    std::string_view m = v.is_string() ? std::string_view(v.get_string()) : "";
    if (m != "inclusive" && m != "exclusive" && m != "redirect" && m != "auxiliary")
      bad("mode must be inclusive, exclusive, redirect or auxiliary");
    return v;
  }
  if (name == "operations") {
    for (const auto& op : ngsi::nonEmptyStrings(v, "operations"))
      if (!isOperationName(op.get_string()))
        bad("operations: '" + std::string(op.get_string()) +
            "' is no operation or operation group (clause 4.20)");
    return v;
  }
  if (name == "refreshRate") {
    if (!v.is_string() || !ngsi::parseDuration(v.get_string()))
      bad("refreshRate must be an ISO 8601 duration (e.g. PT1M)");
    return v;
  }
  if (name == "management") {
    management(v);
    return v;
  }
  if (name == "localOnly") {  // the same as management.localOnly (as earlier drafts and peers place it)
    if (!v.is_bool()) bad("localOnly must be true or false");
    return v;
  }
  if (name == "datasetId") {
    for (const auto& d : ngsi::nonEmptyStrings(v, "datasetId"))
      if (!ngsi::isUri(d.get_string()) && d.get_string() != "@none")
        bad("datasetId '" + std::string(d.get_string()) + "' is neither a URI nor @none");
    return v;
  }
  return std::nullopt;
}

// Sets (or, for null, removes) one member of doc.
void apply(json::object& doc, std::string_view name, const json::value& v,
           const jsonld::Context& ctx, int64_t now, bool patch) {
  if (name == "@context" || name == "id" || kReadOnly.contains(name)) return;
  if (!kMembers.contains(name)) {  // a Context Source Property
    if (!ngsi::isValidName(name)) bad("'" + std::string(name) + "' is not a valid property name");
    if (v.is_null()) {
      if (!patch) bad("the Context Source Property '" + std::string(name) + "' is null");
      doc.erase(ctx.expand(name));
    } else {
      doc[ctx.expand(name)] = v;
    }
    return;
  }
  if (v.is_null()) {
    if (!patch || kRequired.contains(name)) bad(std::string(name) + " cannot be null");
    doc.erase(name);
    return;
  }
  if (auto checked = member(name, v, ctx, now)) doc[name] = std::move(*checked);
}

// The rules between members: required members, and what a mode allows
// (4.3.6.3: an exclusive registration names entity ids and attributes;
// 5.9.2.4: the operations an auxiliary one names are reads; without
// operations it serves the reads of federationOps).
void checkWhole(const json::object& doc) {
  for (auto name : kRequired)
    if (!doc.contains(name)) bad("a registration needs " + std::string(name));
  auto mode = doc.if_contains("mode");
  std::string_view m = mode ? std::string_view(mode->get_string()) : "inclusive";
  if (m == "exclusive") {
    for (const auto& info : doc.at("information").get_array()) {
      const auto& o = info.get_object();
      auto* entities = o.if_contains("entities");
      if (!entities) bad("an exclusive registration must name its entities by id (clause 4.3.6.3)");
      for (const auto& e : entities->get_array())
        if (!e.get_object().contains("id"))
          bad("an exclusive registration must name its entities by id, not by idPattern or type "
              "alone "
              "(clause 4.3.6.3)");
      if (!o.contains("propertyNames") && !o.contains("relationshipNames"))
        bad("an exclusive registration must name the attributes it provides (clause 4.3.6.3)");
    }
  }
  if (auto* ops = doc.if_contains("operations"); ops && m == "auxiliary") {
    std::vector<std::string> names;
    for (const auto& op : ops->get_array()) names.emplace_back(op.get_string());
    for (const auto& op : expandOperations(names))
      if (op != "retrieveEntity" && op != "queryEntity")
        bad("an auxiliary registration only serves retrieveEntity and queryEntity (retrieveOps), "
            "not " +
            op + " (clause 5.9.2.4)");
  }
}

}  // namespace

Registration createRegistration(const json::object& body, const jsonld::Context& ctx, int64_t now) {
  Registration r;
  if (auto* id = body.if_contains("id")) {
    if (!id->is_string() || !ngsi::isUri(id->get_string()))
      bad("the registration id must be a URI");
    r.id = std::string(id->get_string());
  } else {
    r.id = ngsi::randomUrn("ContextSourceRegistration");
  }
  r.doc["id"] = r.id;
  for (const auto& [name, value] : body) apply(r.doc, name, value, ctx, now, false);
  checkWhole(r.doc);
  r.createdAtMs = r.modifiedAtMs = now;
  return r;
}

void patchRegistration(Registration& r, const json::object& fragment, const jsonld::Context& ctx,
                       int64_t now) {
  json::object doc = r.doc;
  if (auto* id = fragment.if_contains("id"); id && (!id->is_string() || id->get_string() != r.id))
    bad("the fragment's id differs from the registration's");
  for (const auto& [name, value] : fragment) apply(doc, name, value, ctx, now, true);
  checkWhole(doc);
  r.doc = std::move(doc);
  r.modifiedAtMs = now;
}

json::object renderRegistration(const Registration& r, const jsonld::Context& ctx, bool sysAttrs) {
  json::object out;
  for (const auto& [name, value] : r.doc) {
    if (name == "information") {
      json::array information;
      for (const auto& info : value.get_array()) {
        json::object o = info.get_object();
        if (auto* entities = o.if_contains("entities"))
          for (auto& e : entities->get_array())
            if (auto* type = e.get_object().if_contains("type"))
              *type = ctx.compact(type->get_string());
        for (std::string_view names : {"propertyNames", "relationshipNames"})
          if (auto* n = o.if_contains(names)) *n = ngsi::compactedNames(n->get_array(), ctx);
        information.push_back(std::move(o));
      }
      out["information"] = std::move(information);
    } else if (kMembers.contains(name)) {
      out[name] = value;
    } else {
      out[ctx.compact(name)] = value;
    }
  }
  const auto& st = r.stats;
  if (st.timesSent > 0) {
    out["status"] = st.lastFailureMs > st.lastSuccessMs ? "failed" : "ok";
    out["timesSent"] = st.timesSent;
    if (st.timesFailed) out["timesFailed"] = st.timesFailed;
    if (st.lastSuccessMs) out["lastSuccess"] = ngsi::formatDateTime(st.lastSuccessMs);
    if (st.lastFailureMs) out["lastFailure"] = ngsi::formatDateTime(st.lastFailureMs);
  }
  if (sysAttrs) {
    out["createdAt"] = ngsi::formatDateTime(r.createdAtMs);
    out["modifiedAt"] = ngsi::formatDateTime(r.modifiedAtMs);
  }
  return out;
}

Mode modeOf(const Registration& r) {
  auto* m = r.doc.if_contains("mode");
  std::string_view mode = m ? std::string_view(m->get_string()) : "inclusive";
  if (mode == "exclusive") return Mode::Exclusive;
  if (mode == "redirect") return Mode::Redirect;
  if (mode == "auxiliary") return Mode::Auxiliary;
  return Mode::Inclusive;
}

std::vector<RegistrationInfo> informationOf(const Registration& r) {
  std::vector<RegistrationInfo> out;
  for (const auto& info : r.doc.at("information").get_array()) {
    const auto& o = info.get_object();
    RegistrationInfo i;
    if (auto* entities = o.if_contains("entities"))
      for (const auto& e : entities->get_array()) {
        const auto& eo = e.get_object();
        EntityInfo ei;
        if (auto* id = eo.if_contains("id")) ei.id = std::string(id->get_string());
        if (auto* p = eo.if_contains("idPattern")) ei.idPattern = std::string(p->get_string());
        if (auto* t = eo.if_contains("type")) ei.type = std::string(t->get_string());
        i.entities.push_back(std::move(ei));
      }
    if (auto* p = o.if_contains("propertyNames"))
      for (const auto& n : p->get_array()) i.propertyNames.emplace(n.get_string());
    if (auto* p = o.if_contains("relationshipNames"))
      for (const auto& n : p->get_array()) i.relationshipNames.emplace(n.get_string());
    out.push_back(std::move(i));
  }
  return out;
}

std::optional<int64_t> expiresAtMs(const Registration& r) {
  auto* e = r.doc.if_contains("expiresAt");
  return e ? ngsi::parseDateTime(e->get_string()) : std::nullopt;
}

std::string serializeRegistration(const Registration& r) {
  json::object o;
  o["doc"] = r.doc;
  o["createdAt"] = r.createdAtMs;
  o["modifiedAt"] = r.modifiedAtMs;
  o["timesSent"] = r.stats.timesSent;
  o["timesFailed"] = r.stats.timesFailed;
  o["lastSuccess"] = r.stats.lastSuccessMs;
  o["lastFailure"] = r.stats.lastFailureMs;
  return json::serialize(o);
}

Registration parseStoredRegistration(std::string_view id, std::string_view document) {
  auto o = json::parse(document).as_object();
  Registration r;
  r.id = std::string(id);
  r.doc = std::move(o["doc"].as_object());
  r.createdAtMs = o["createdAt"].to_number<int64_t>();
  r.modifiedAtMs = o["modifiedAt"].to_number<int64_t>();
  r.stats.timesSent = o["timesSent"].to_number<uint64_t>();
  r.stats.timesFailed = o["timesFailed"].to_number<uint64_t>();
  r.stats.lastSuccessMs = o["lastSuccess"].to_number<int64_t>();
  r.stats.lastFailureMs = o["lastFailure"].to_number<int64_t>();
  return r;
}

}  // namespace allmende::federation
