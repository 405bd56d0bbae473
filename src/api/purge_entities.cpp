// Purge entities (clause 5.6.21, DELETE /ngsi-ld/v1/entities?type=&id=&idPattern=&q=...):
// deletes every entity a selection matches, or with drop=/keep= removes (keeps)
// only the named attributes of each; each entity through the write path.
#include <set>

#include "api/entity_access.h"
#include "api/entity_selection.h"
#include "api/distributed.h"
#include "api/distributed_write.h"
#include "api/routes.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

std::set<std::string> attributeSet(Call& call, std::string_view param) {
  std::set<std::string> out;
  for (const auto& n : call.listParam(param)) {
    if (!ngsi::isValidName(n)) fail(ErrorType::BadRequestData, "invalid attribute name '" + n + "' in " + std::string(param));
    out.insert(call.context().expand(n));
  }
  if (out.empty()) fail(ErrorType::BadRequestData, std::string(param) + " must name attributes");
  return out;
}

http::Response purgeEntities(Call& call) {
  call.allowParams({"id", "idPattern", "type", "q", "scopeQ", "attrs", "local", "expandValues", "keep", "drop"});
  if (call.req.param("keep") && call.req.param("drop"))
    fail(ErrorType::BadRequestData, "keep and drop cannot be used together");
  auto selection = selectionFromParams(call);
  // Too wide (5.6.21.4): like a query, a purge needs a type, an attribute or a
  // geo-query; ids or an id pattern alone are not enough; local=true opts in.
  if (!selection.restricted && call.req.param("local") != "true")
    fail(ErrorType::BadRequestData, "purging needs at least one of type, attrs, q or georel (or local=true)");
  std::optional<std::set<std::string>> drop, keep;
  if (call.req.param("drop")) drop = attributeSet(call, "drop");
  if (call.req.param("keep")) keep = attributeSet(call, "keep");
  call.requireTenant();
  // Collect the ids first (the predicate records them, so no entity body is kept),
  // then change each one; an entity deleted concurrently is simply skipped.
  std::vector<std::string> ids;
  auto& q = selection.query;
  auto exact = std::move(q.predicate);
  q.predicate = [&ids, &exact](const json::object& entity) {
    if (exact(entity)) ids.emplace_back(entity.at("id").get_string());
    return false;
  };
  q.selectorsExact = false;  // every match must reach the predicate
  q.limit = 0;
  q.count = true;
  call.services.store.queryEntities(call.tenant(), q);
  auto now = ngsi::nowMs();
  for (const auto& id : ids) {
    try {
      if (!drop && !keep) {
        removeEntity(call, id, {});
        continue;
      }
      mutateEntity(call, id, {}, [&](json::object& entity) {
        auto& attrs = entity[ngsi::key::attrs].as_object();
        for (auto it = attrs.begin(); it != attrs.end();) {
          std::string name(it->key());
          bool remove = drop ? drop->contains(name) : !keep->contains(name);
          it = remove ? attrs.erase(it) : std::next(it);
        }
        entity[ngsi::key::modifiedAt] = now;
      });
    } catch (const ngsi::Error& e) {  // gone meanwhile, or not the caller's to change: it stays
      if (e.type() != ErrorType::ResourceNotFound && e.type() != ErrorType::Forbidden) throw;
    }
  }
  return call.empty(204);
}

}  // namespace

void registerPurgeRoutes(http::Router& router, Services& services) {
  // A distributed write: the sources registered for the entities purge theirs (purgeEntity).
  addRoute(router, services, "DELETE", "/ngsi-ld/v1/entities", [](Call& call) {
    return distributedWrite(call, {"purgeEntity", "", std::nullopt, registrationQueryFromParams(call)},
                            purgeEntities);
  });
}

}  // namespace allmende::api
