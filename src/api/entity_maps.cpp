// The /entityMaps endpoints (clause 5.14, 6.32, 6.34): create a map for a
// query, retrieve, update (expiresAt) and delete one; and the EntityMap part of
// queries and retrieves (/temporal/entityMaps is in api/temporal_query.cpp).
#include "api/entity_maps.h"

#include "api/entity_selection.h"
#include "api/routes.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

#include <unordered_set>

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kPath = "/ngsi-ld/v1/entityMaps";
constexpr std::string_view kHeader = "NGSILD-EntityMap";

// entityMapLifetime in milliseconds (an ISO 8601 duration).
int64_t durationMs(std::string_view text) {
  auto ms = ngsi::parseDuration(text);
  if (!ms)
    fail(ErrorType::BadRequestData,
         "entityMapLifetime '" + std::string(text) + "' is not an ISO 8601 duration");
  return *ms;
}

std::string location(const std::string& id) { return std::string(kPath) + "/" + id; }

// The map id in an NGSILD-EntityMap value: a location (relative or absolute URL) or the id itself.
std::string idFromReference(std::string_view ref) {
  auto slash = ref.rfind('/');
  return std::string(slash == std::string_view::npos ? ref : ref.substr(slash + 1));
}

json::object render(const EntityMap& m) {
  json::object entities;
  for (size_t i = 0; i < m.entityIds.size(); ++i) {
    json::array held;
    for (const auto& source : m.sourcesOf(i)) held.emplace_back(source);
    entities[m.entityIds[i]] = std::move(held);
  }
  return json::object{{"id", m.id},
                      {"type", "EntityMap"},
                      {"expiresAt", ngsi::formatDateTime(m.expiresAtMs)},
                      {"entityMap", std::move(entities)}};
}

std::string mapIdParam(const Call& call) {
  const auto& id = call.pathParam(0);
  if (!ngsi::isUri(id)) fail(ErrorType::BadRequestData, ngsi::notUriDetail("the EntityMap id", id));
  return id;
}

[[noreturn]] void notFound(const std::string& id) {
  fail(ErrorType::ResourceNotFound, "no EntityMap with id '" + id + "' (it may have expired)");
}

http::Response createForQuery(Call& call) {
  call.allowParams({"id", "idPattern", "type", "attrs", "q", "scopeQ", "georel", "geometry", "coordinates",
                    "geoproperty", "datasetId", "local", "csf", "expandValues", "entityMapLifetime"});
  auto selection = selectionFromParams(call);
  if (!selection.restricted && call.req.param("local") != "true")
    fail(ErrorType::BadRequestData, "a query needs at least one of type, attrs, q or georel (or local=true)");
  auto use = entityMapUse(call);
  call.requireTenant();
  auto& q = selection.query;
  std::vector<std::string> matched;
  store::recordMatches(q, matched);
  q.now = ngsi::nowMs();
  q.limit = 0;
  q.deadline = &call.deadline;
  call.services.store.queryEntities(call.tenant(), q);
  return createdMapResponse(call, std::move(matched), use.lifetimeMs);
}

http::Response retrieveMap(Call& call) {
  call.allowParams({});
  auto id = mapIdParam(call);
  auto map = call.services.entityMaps.find(call.tenant(), id, ngsi::nowMs());
  if (!map) notFound(id);
  return call.plain(200, render(*map));
}

http::Response updateMap(Call& call) {
  call.allowParams({});
  auto id = mapIdParam(call);
  const auto& fragment = call.body(true);
  // Only expiresAt can change; entityMap and the rest are the broker's (5.14.2.4).
  int64_t expiresAt = 0;
  if (auto* e = fragment.if_contains("expiresAt")) {
    auto at = e->is_string() ? ngsi::parseDateTime(e->get_string()) : std::nullopt;
    if (!at) fail(ErrorType::BadRequestData, "expiresAt must be a DateTime");
    expiresAt = *at;
  }
  auto now = ngsi::nowMs();
  if (!call.services.entityMaps.find(call.tenant(), id, now)) notFound(id);
  if (expiresAt) call.services.entityMaps.expire(call.tenant(), id, expiresAt, now);
  return call.empty(204);
}

http::Response deleteMap(Call& call) {
  call.allowParams({});
  auto id = mapIdParam(call);
  if (!call.services.entityMaps.remove(call.tenant(), id, ngsi::nowMs())) notFound(id);
  return call.empty(204);
}

}  // namespace

EntityMapUse entityMapUse(Call& call) {
  EntityMapUse use;
  if (auto flag = call.req.param("entityMap")) {
    if (*flag != "true" && *flag != "false") fail(ErrorType::BadRequestData, "entityMap must be true or false");
    use.active = *flag == "true";
  }
  if (auto lifetime = call.req.param("entityMapLifetime")) use.lifetimeMs = durationMs(*lifetime);
  if (auto ref = call.req.header("ngsild-entitymap")) {
    use.active = true;
    use.live = call.services.entityMaps.find(call.tenant(), idFromReference(*ref), ngsi::nowMs());
  }
  return use;
}

bool finishEntityMap(Call& call, const EntityMapUse& use, std::vector<std::string> matched, http::Response& res,
                     std::vector<std::vector<std::string>> sources) {
  if (!use.active) return false;
  auto now = ngsi::nowMs();
  if (use.live) {
    std::unordered_set<std::string_view> still(matched.begin(), matched.end());
    auto keep = [&still](const std::string& id) { return still.contains(id); };
    if (call.services.entityMaps.prune(call.tenant(), use.live->id, keep, now)) {
      res.setHeader(std::string(kHeader), location(use.live->id));
      return false;
    }
  }
  auto map = call.services.entityMaps.create(call.tenant(), std::move(matched), use.lifetimeMs, now,
                                             std::move(sources));
  res.setHeader(std::string(kHeader), location(map.id));
  return true;
}

http::Response createdMapResponse(Call& call, std::vector<std::string> entityIds,
                                  int64_t lifetimeMs) {
  auto map = call.services.entityMaps.create(call.tenant(), std::move(entityIds), lifetimeMs,
                                             ngsi::nowMs());
  auto res = call.plain(201, render(map));
  res.setHeader(std::string(kHeader), location(map.id));
  res.setHeader("Location", location(map.id));
  return res;
}

void registerEntityMapRoutes(http::Router& router, Services& services) {
  std::string one = std::string(kPath) + "/{}";
  addRoute(router, services, "GET", kPath, createForQuery);
  addRoute(router, services, "GET", one, retrieveMap);
  addRoute(router, services, "PATCH", one, updateMap);
  addRoute(router, services, "DELETE", one, deleteMap);
}

}  // namespace allmende::api
