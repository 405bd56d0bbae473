// Entity endpoints (clause 5.6 / 6.4-6.5): create, retrieve, delete, replace
// and merge an entity.
#include "api/entity_access.h"
#include "api/entity_maps.h"
#include "api/linked_entities.h"
#include "api/routes.h"
#include "api/version_preference.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/parse.h"
#include "ngsi/syntax.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kEntitiesPath = "/ngsi-ld/v1/entities";

http::Response createEntity(Call& call) {
  call.allowParams({"local"});
  const auto& body = call.body();
  auto parsed = ngsi::parseEntity(body, call.context(), ngsi::ParseMode::Create);
  insertEntity(call, parsed, ngsi::nowMs());
  auto res = call.empty(201);
  res.setHeader("Location", std::string(kEntitiesPath) + "/" +
                                escapePathSegment(std::string(parsed.at(ngsi::key::id).get_string())));
  return res;
}

// True if a rendered entity has a member besides id, type and scope.
bool hasAnyAttribute(const json::object& rendered) {
  for (const auto& [k, v] : rendered)
    if (k != "id" && k != "type" && k != "scope" && k != "@context") return true;
  return false;
}

http::Response retrieveEntity(Call& call) {
  call.allowParams({"attrs", "pick", "omit", "type", "options", "format", "lang", "geometryProperty",
                    "datasetId", "local", "join", "joinLevel", "containedBy", "entityMap", "entityMapLifetime"});
  auto id = entityIdParam(call);
  auto mapUse = entityMapUse(call);
  alignas(std::max_align_t) unsigned char firstBlock[16 * 1024];
  boost::json::monotonic_resource arena(firstBlock, sizeof firstBlock);  // the entity and its rendering
  auto media = negotiate(call.req, true);
  auto options = renderOptions(call);
  options.storage = &arena;
  auto join = joinParams(call, options);
  auto types = typeParam(call);
  auto entity = readEntity(call, id, &arena);
  if (!hasAnyType(entity, types))
    fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "' of the requested type");
  const auto& ctx = call.context();
  if (media == MediaType::GeoJson) {
    std::string geometry(call.req.param("geometryProperty").value_or("location"));
    if (!ngsi::isValidName(geometry))
      fail(ErrorType::BadRequestData, "invalid geometryProperty '" + geometry + "'");
    auto res = respondForVersion(call, 200, ngsi::renderFeature(entity, ctx, options, ctx.expand(geometry)), media,
                                 entityPayload(options));
    finishEntityMap(call, mapUse, {id}, res);
    return res;
  }
  if (call.req.param("geometryProperty"))
    fail(ErrorType::BadRequestData, "geometryProperty is only allowed with Accept: application/geo+json");
  auto rendered = renderJoined(call, entity, options, join);
  const auto& main = rendered.is_array() ? rendered.get_array()[0].get_object() : rendered.get_object();
  if (main.empty() || (options.attrs && !options.attrs->empty() && !hasAnyAttribute(main)))
    fail(ErrorType::ResourceNotFound, "the entity '" + id + "' has none of the requested attributes");
  auto res = respondForVersion(call, 200, std::move(rendered), media, entityPayload(options));
  finishEntityMap(call, mapUse, {id}, res);
  return res;
}

http::Response deleteEntity(Call& call) {
  call.allowParams({"type", "local"});
  auto id = entityIdParam(call);
  removeEntity(call, id, typeParam(call));
  return call.empty(204);
}

// The id and type in a body for /entities/{id} must agree with the path.
void checkBodyId(const json::object& parsed, const std::string& id) {
  if (auto* bodyId = parsed.if_contains(ngsi::key::id); bodyId && bodyId->get_string() != id)
    fail(ErrorType::BadRequestData, "the id in the body does not match the id in the path");
}

http::Response replaceEntity(Call& call) {
  call.allowParams({"local"});
  auto id = entityIdParam(call);
  const auto& body = call.body();
  auto parsed = ngsi::parseEntity(body, call.context(), ngsi::ParseMode::Fragment);
  checkBodyId(parsed, id);
  if (!parsed.contains(ngsi::key::type)) fail(ErrorType::BadRequestData, "the entity has no type");
  auto now = ngsi::nowMs();
  mutateEntity(call, id, {}, [&](json::object& entity) {
    entity = ngsi::replaceEntity(entity, parsed, now);
  });
  return call.empty(204);
}

http::Response mergeEntity(Call& call) {
  call.allowParams({"type", "options", "format", "observedAt", "lang", "local"});
  auto id = entityIdParam(call);
  const auto& body = call.body(true);
  auto parsed = ngsi::parseEntity(body, call.context(), ngsi::ParseMode::Merge);
  checkBodyId(parsed, id);
  auto types = typeParam(call);
  auto now = ngsi::nowMs();
  mutateEntity(call, id, types, [&](json::object& entity) {
    ngsi::mergeEntity(entity, parsed, now);
  });
  return call.empty(204);
}

// PUT or PATCH on /entities (or /entities/, which the router reads the same):
// a Replace or Merge Entity whose id is missing from the path. The suite
// expects 400 here (054_02_02, 056_02_02), not 405.
http::Response missingEntityId(Call& call) {
  fail(ErrorType::BadRequestData,
       call.req.method + " needs an entity: /ngsi-ld/v1/entities/{entityId}");
}

}  // namespace

void registerEntityRoutes(http::Router& router, Services& services) {
  constexpr std::string_view one = "/ngsi-ld/v1/entities/{}";
  addRoute(router, services, "POST", kEntitiesPath, createEntity);
  addRoute(router, services, "GET", one, retrieveEntity);
  addRoute(router, services, "DELETE", one, deleteEntity);
  addRoute(router, services, "PUT", one, replaceEntity);
  addRoute(router, services, "PATCH", one, mergeEntity);
  addRoute(router, services, "PUT", kEntitiesPath, missingEntityId);
  addRoute(router, services, "PATCH", kEntitiesPath, missingEntityId);
}

}  // namespace allmende::api
