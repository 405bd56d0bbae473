// Purge entities (clause 5.6.21, DELETE /ngsi-ld/v1/entities?type=&id=&idPattern=&q=):
// deletes every entity a selection matches, each through the write path.
#include "api/entity_access.h"
#include "api/entity_selection.h"
#include "api/routes.h"
#include "ngsi/error.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

http::Response purgeEntities(Call& call) {
  call.allowParams({"id", "idPattern", "type", "q", "scopeQ", "attrs", "local", "expandValues"});
  auto selection = selectionFromParams(call);
  if (!selection.restricted && !call.req.param("id") && !call.req.param("idPattern") && !call.req.param("scopeQ"))
    fail(ErrorType::BadRequestData, "purging needs at least one of type, id, idPattern, q, scopeQ or attrs");
  call.requireTenant();
  // Collect the ids first (the predicate records them, so no entity body is kept),
  // then delete each one; an entity deleted concurrently is simply skipped.
  std::vector<std::string> ids;
  auto& q = selection.query;
  auto exact = std::move(q.predicate);
  q.predicate = [&ids, &exact](const json::object& entity) {
    if (exact(entity)) ids.emplace_back(entity.at("id").get_string());
    return false;
  };
  q.limit = 0;
  q.count = true;
  call.services.store.queryEntities(call.tenant(), q);
  for (const auto& id : ids) {
    try {
      removeEntity(call, id, {});
    } catch (const ngsi::Error& e) {
      if (e.type() != ErrorType::ResourceNotFound) throw;
    }
  }
  return call.empty(204);
}

}  // namespace

void registerPurgeRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "DELETE", "/ngsi-ld/v1/entities", purgeEntities);
}

}  // namespace allmende::api
