// Discovery (clause 5.7.5-5.7.8): the entity types and attributes a tenant
// holds, answered from the store's index counters: GET /types (details),
// /types/{type}, /attributes (details), /attributes/{attrId}.
#include <random>

#include "api/routes.h"
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

json::array compacted(Call& call, const auto& iris) {
  json::array out;
  for (const auto& iri : iris) out.emplace_back(call.context().compact(iri));
  return out;
}

http::Response types(Call& call) {
  call.allowParams({"details", "local"});
  bool details = detailsParam(call);
  auto media = negotiate(call.req, false);
  call.requireTenant();
  auto types = call.services.store.types(call.tenant());
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

http::Response typeInfo(Call& call) {
  call.allowParams({"local"});
  auto media = negotiate(call.req, false);
  const auto& name = call.pathParam(0);
  if (!ngsi::isValidName(name)) fail(ErrorType::BadRequestData, "invalid entity type '" + name + "'");
  call.requireTenant();
  std::string iri = call.context().expand(name);
  auto types = call.services.store.types(call.tenant());
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

http::Response attributes(Call& call) {
  call.allowParams({"details", "local"});
  bool details = detailsParam(call);
  auto media = negotiate(call.req, false);
  call.requireTenant();
  auto attrs = call.services.store.attributes(call.tenant());
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

http::Response attributeInfo(Call& call) {
  call.allowParams({"local"});
  auto media = negotiate(call.req, false);
  const auto& name = call.pathParam(0);
  if (!ngsi::isValidName(name)) fail(ErrorType::BadRequestData, "invalid attribute name '" + name + "'");
  call.requireTenant();
  std::string iri = call.context().expand(name);
  auto attrs = call.services.store.attributes(call.tenant());
  auto it = attrs.find(iri);
  if (it == attrs.end()) fail(ErrorType::ResourceNotFound, "no attribute '" + name + "'");
  return call.respond(200, attributeDetails(call, iri, it->second, true), media);
}

}  // namespace

void registerDiscoveryRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "GET", "/ngsi-ld/v1/types", types);
  addRoute(router, services, "GET", "/ngsi-ld/v1/types/{}", typeInfo);
  addRoute(router, services, "GET", "/ngsi-ld/v1/attributes", attributes);
  addRoute(router, services, "GET", "/ngsi-ld/v1/attributes/{}", attributeInfo);
}

}  // namespace allmende::api
