// Discovery (clause 5.7.5-5.7.8): the entity types and attributes a tenant
// holds, answered from the store's index counters: GET /types (details),
// /types/{type}, /attributes (details), /attributes/{attrId}. Registered
// context sources answer the same question (docs/federation.md): their types
// and attributes join the local ones, counts add up.
#include <functional>
#include <random>
#include <set>

#include "api/distributed.h"
#include "api/routes.h"
#include "federation/registry.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

std::string listId(std::string_view kind) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return "urn:ngsi-ld:" + std::string(kind) + ":" + buf;
}

bool detailsParam(Call& call) {
  auto d = call.req.param("details");
  if (!d) return false;
  if (*d != "true" && *d != "false") fail(ErrorType::BadRequestData, "details must be true or false");
  return *d == "true";
}

// Asks the sources registered for `operation` (whose registrations `q`
// selects) with GET `path`; `again` answers once they did. nullopt when
// there is none.
std::optional<http::Response> forwardDiscovery(Call& call, std::string_view operation, const std::string& path,
                                               const federation::RegistrationQuery& q,
                                               std::function<http::Response(Call&, Remote&)> again) {
  if (!mayForward(call)) return std::nullopt;
  call.requireTenant();
  auto sources = sourcesFor(call, call.services.registrations.list(call.tenant()), q, {operation});
  if (sources.empty()) return std::nullopt;
  auto client = clientRequest(call);
  std::vector<federation::ForwardRequest> requests;
  for (const auto& s : sources) requests.push_back(federation::relayRequest(s, client, "GET", path, {}, ""));
  return forwardThen(call, std::move(sources), std::move(requests), true, std::move(again));
}

// Strings of a JSON array member, expanded.
std::vector<std::string> expandedList(const json::object& o, std::string_view member, const jsonld::Context& ctx) {
  std::vector<std::string> out;
  if (auto* a = o.if_contains(member); a && a->is_array())
    for (const auto& v : a->get_array())
      if (v.is_string()) out.push_back(ctx.expand(v.get_string()));
  return out;
}

// The sources' EntityTypeList, EntityType (details) and EntityTypeInfo answers added to `types`.
void addRemoteTypes(std::map<std::string, store::Store::TypeInfo>& types, Remote& remote,
                    const jsonld::Context& ctx) {
  for (const auto& answer : remote.answers)
    for (const auto& o : answer.entities) {
      for (const auto& name : expandedList(o, "typeList", ctx)) types[name];
      auto* typeName = o.if_contains("typeName");
      if (!typeName || !typeName->is_string()) continue;
      auto& info = types[ctx.expand(typeName->get_string())];
      for (const auto& attr : expandedList(o, "attributeNames", ctx)) info.attributes[attr];
      if (auto* n = o.if_contains("entityCount"); n && n->is_number()) info.entityCount += n->to_number<size_t>();
      if (auto* details = o.if_contains("attributeDetails"); details && details->is_array())
        for (const auto& d : details->get_array()) {
          auto* name = d.is_object() ? d.get_object().if_contains("attributeName") : nullptr;
          if (!name || !name->is_string()) continue;
          auto& kinds = info.attributes[ctx.expand(name->get_string())];
          if (auto* k = d.get_object().if_contains("attributeTypes"); k && k->is_array())
            for (const auto& kind : k->get_array())
              if (kind.is_string()) kinds.emplace(kind.get_string());
        }
    }
}

// The sources' AttributeList, Attribute (details) and Attribute info answers added to `attrs`.
void addRemoteAttributes(std::map<std::string, store::Store::AttributeInfo>& attrs, Remote& remote,
                         const jsonld::Context& ctx) {
  for (const auto& answer : remote.answers)
    for (const auto& o : answer.entities) {
      for (const auto& name : expandedList(o, "attributeList", ctx)) attrs[name];
      auto* attributeName = o.if_contains("attributeName");
      if (!attributeName || !attributeName->is_string()) continue;
      auto& info = attrs[ctx.expand(attributeName->get_string())];
      for (const auto& type : expandedList(o, "typeNames", ctx)) info.types.insert(type);
      if (auto* n = o.if_contains("attributeCount"); n && n->is_number()) info.entityCount += n->to_number<size_t>();
      if (auto* k = o.if_contains("attributeTypes"); k && k->is_array())
        for (const auto& kind : k->get_array())
          if (kind.is_string()) info.kinds.emplace(kind.get_string());
    }
}

// Calls visit with each entity the caller may read, as it may see it (for a
// caller that may not read everything: the store's figures count all).
void visitReadable(Call& call, const std::function<void(const json::object&)>& visit) {
  const auto& access = *call.access();
  auto now = ngsi::nowMs();
  store::EntityQuery q;
  q.limit = 0;
  q.count = true;  // every candidate is visited; none is kept
  q.now = now;
  q.deadline = &call.deadline;
  q.predicate = [&](const json::object& e) {
    if (ngsi::isExpired(e, now) || !access.mayRead(e)) return false;
    if (!access.hidesSome(e)) {
      visit(e);
      return false;
    }
    json::object seen(e);
    access.stripHidden(seen);
    visit(seen);
    return false;
  };
  call.services.store.queryEntities(call.tenant(), q);
}

// The kinds (Property, Relationship, ...) of an attribute's instances.
std::set<std::string> kindsOf(const json::value& instances) {
  std::set<std::string> out;
  if (instances.is_array())
    for (const auto& i : instances.get_array())
      if (auto* k = i.is_object() ? i.get_object().if_contains(ngsi::key::type) : nullptr; k && k->is_string())
        out.emplace(k->get_string());
  return out;
}

// The store's discovery figures, over what the caller may read.
std::map<std::string, store::Store::TypeInfo> typesSeen(Call& call) {
  if (call.access()->readsEverything()) return call.services.store.types(call.tenant());
  std::map<std::string, store::Store::TypeInfo> out;
  visitReadable(call, [&out](const json::object& e) {
    for (const auto& t : e.at(ngsi::key::type).get_array()) {
      auto& info = out[std::string(t.get_string())];
      ++info.entityCount;
      for (const auto& [attr, instances] : e.at(ngsi::key::attrs).get_object())
        info.attributes[std::string(attr)].merge(kindsOf(instances));
    }
  });
  return out;
}

std::map<std::string, store::Store::AttributeInfo> attributesSeen(Call& call) {
  if (call.access()->readsEverything()) return call.services.store.attributes(call.tenant());
  std::map<std::string, store::Store::AttributeInfo> out;
  visitReadable(call, [&out](const json::object& e) {
    for (const auto& [attr, instances] : e.at(ngsi::key::attrs).get_object()) {
      auto& info = out[std::string(attr)];
      ++info.entityCount;
      info.kinds.merge(kindsOf(instances));
      for (const auto& t : e.at(ngsi::key::type).get_array()) info.types.emplace(t.get_string());
    }
  });
  return out;
}

json::array compacted(Call& call, const auto& iris) {
  json::array out;
  for (const auto& iri : iris) out.emplace_back(call.context().compact(iri));
  return out;
}

http::Response types(Call& call, Remote* remote) {
  call.allowParams({"details", "local"});
  bool details = detailsParam(call);
  auto media = negotiate(call.req, false);
  if (!remote)
    if (auto r = forwardDiscovery(call, "retrieveEntityTypes", "/types?details=true", {},
                                  [](Call& again, Remote& remote) { return types(again, &remote); }))
      return std::move(*r);
  call.requireTenant();
  auto types = typesSeen(call);
  if (remote) addRemoteTypes(types, *remote, call.context());
  if (!details) {
    std::vector<std::string> names;
    for (const auto& [iri, info] : types) names.push_back(iri);
    return call.respond(200,
                        json::object{{"id", listId("EntityTypeList")},
                                     {"type", "EntityTypeList"},
                                     {"typeList", compacted(call, names)}},
                        media);
  }
  json::array out;
  for (const auto& [iri, info] : types) {
    std::vector<std::string> attrs;
    for (const auto& [attr, kinds] : info.attributes) attrs.push_back(attr);
    out.push_back(json::object{{"id", iri},
                               {"type", "EntityType"},
                               {"typeName", call.context().compact(iri)},
                               {"attributeNames", compacted(call, attrs)}});
  }
  return call.respond(200, std::move(out), media);
}

http::Response typeInfo(Call& call, Remote* remote) {
  call.allowParams({"local"});
  auto media = negotiate(call.req, false);
  const auto& name = call.pathParam(0);
  if (!ngsi::isValidName(name)) fail(ErrorType::BadRequestData, "invalid entity type '" + name + "'");
  std::string iri = call.context().expand(name);
  if (!remote) {
    federation::RegistrationQuery q;
    q.types = query::TypeSelection{{iri}};
    if (auto r = forwardDiscovery(call, "retrieveEntityTypeInfo", "/types/" + http::percentEncode(name), q,
                                  [](Call& again, Remote& remote) { return typeInfo(again, &remote); }))
      return std::move(*r);
  }
  call.requireTenant();
  auto types = typesSeen(call);
  if (remote) addRemoteTypes(types, *remote, call.context());
  auto it = types.find(iri);
  if (it == types.end()) fail(ErrorType::ResourceNotFound, "no entity of type '" + name + "'");
  json::array details;
  for (const auto& [attr, kinds] : it->second.attributes) {
    json::array kindNames;
    for (const auto& k : kinds) kindNames.emplace_back(k);
    details.push_back(json::object{{"id", attr},
                                   {"type", "Attribute"},
                                   {"attributeName", call.context().compact(attr)},
                                   {"attributeTypes", std::move(kindNames)}});
  }
  return call.respond(200,
                      json::object{{"id", iri},
                                   {"type", "EntityTypeInfo"},
                                   {"typeName", call.context().compact(iri)},
                                   {"entityCount", it->second.entityCount},
                                   {"attributeDetails", std::move(details)}},
                      media);
}

json::object attributeDetails(Call& call, const std::string& iri, const store::Store::AttributeInfo& info,
                              bool withCounts) {
  json::object o{{"id", iri}, {"type", "Attribute"}, {"attributeName", call.context().compact(iri)}};
  if (withCounts) {
    o["attributeCount"] = info.entityCount;
    json::array kinds;
    for (const auto& k : info.kinds) kinds.emplace_back(k);
    o["attributeTypes"] = std::move(kinds);
  }
  o["typeNames"] = compacted(call, info.types);
  return o;
}

http::Response attributes(Call& call, Remote* remote) {
  call.allowParams({"details", "local"});
  bool details = detailsParam(call);
  auto media = negotiate(call.req, false);
  if (!remote)
    if (auto r = forwardDiscovery(call, "retrieveAttrTypes", "/attributes?details=true", {},
                                  [](Call& again, Remote& remote) { return attributes(again, &remote); }))
      return std::move(*r);
  call.requireTenant();
  auto attrs = attributesSeen(call);
  if (remote) addRemoteAttributes(attrs, *remote, call.context());
  if (!details) {
    std::vector<std::string> names;
    for (const auto& [iri, info] : attrs) names.push_back(iri);
    return call.respond(200,
                        json::object{{"id", listId("AttributeList")},
                                     {"type", "AttributeList"},
                                     {"attributeList", compacted(call, names)}},
                        media);
  }
  json::array out;
  for (const auto& [iri, info] : attrs) out.push_back(attributeDetails(call, iri, info, false));
  return call.respond(200, std::move(out), media);
}

http::Response attributeInfo(Call& call, Remote* remote) {
  call.allowParams({"local"});
  auto media = negotiate(call.req, false);
  const auto& name = call.pathParam(0);
  if (!ngsi::isValidName(name)) fail(ErrorType::BadRequestData, "invalid attribute name '" + name + "'");
  std::string iri = call.context().expand(name);
  if (!remote) {
    federation::RegistrationQuery q;
    q.attrs = {iri};
    if (auto r = forwardDiscovery(call, "retrieveAttrTypeInfo", "/attributes/" + http::percentEncode(name), q,
                                  [](Call& again, Remote& remote) { return attributeInfo(again, &remote); }))
      return std::move(*r);
  }
  call.requireTenant();
  auto attrs = attributesSeen(call);
  if (remote) addRemoteAttributes(attrs, *remote, call.context());
  auto it = attrs.find(iri);
  if (it == attrs.end()) fail(ErrorType::ResourceNotFound, "no attribute '" + name + "'");
  return call.respond(200, attributeDetails(call, iri, it->second, true), media);
}

}  // namespace

void registerDiscoveryRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "GET", "/ngsi-ld/v1/types", [](Call& call) { return types(call, nullptr); });
  addRoute(router, services, "GET", "/ngsi-ld/v1/types/{}", [](Call& call) { return typeInfo(call, nullptr); });
  addRoute(router, services, "GET", "/ngsi-ld/v1/attributes",
           [](Call& call) { return attributes(call, nullptr); });
  addRoute(router, services, "GET", "/ngsi-ld/v1/attributes/{}",
           [](Call& call) { return attributeInfo(call, nullptr); });
}

}  // namespace allmende::api
