// Entity endpoints (clause 5.6 / 6.4-6.5): create, retrieve, delete, replace
// and merge an entity.
#include "api/distributed.h"
#include "api/distributed_write.h"
#include "api/entity_access.h"
#include "api/entity_maps.h"
#include "api/linked_entities.h"
#include "api/routes.h"
#include "api/version_preference.h"
#include "federation/registry.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/parse.h"
#include "ngsi/syntax.h"
#include "query/type_expr.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kEntitiesPath = "/ngsi-ld/v1/entities";

http::Response createEntity(Call& call) {
  call.allowParams({"local"});
  const auto& body = call.body();
  auto parsed = ngsi::parseEntity(body, call.context(), ngsi::ParseMode::Create);
  std::string id(parsed.at(ngsi::key::id).get_string());
  insertEntity(call, std::move(parsed), ngsi::nowMs());
  auto res = call.empty(201);
  res.setHeader("Location", std::string(kEntitiesPath) + "/" + http::percentEncode(id));
  return res;
}

// True if a rendered entity has a member besides id, type and scope.
bool hasAnyAttribute(const json::object& rendered) {
  for (const auto& [k, v] : rendered)
    if (k != "id" && k != "type" && k != "scope") return true;
  return false;
}

// The entity held here, with what the registered sources answered (remote,
// null when none was asked) merged in.
json::object mergedEntity(Call& call, const std::string& id, Remote* remote, json::storage_ptr storage) {
  if (!remote) return readEntity(call, id, std::move(storage));
  auto local = call.services.store.getEntity(call.tenant(), id, storage);
  json::object entity(storage);
  bool found = local && !ngsi::isExpired(*local, ngsi::nowMs());
  if (found) entity = std::move(*local);
  for (const auto& source : remote->sources)
    if (found) federation::dropExclusive(entity, source);
  for (auto i : federation::mergeOrder(remote->sources))
    for (auto& raw : remote->answers[i].entities) {
      if (raw.at(ngsi::key::id).get_string() != id) continue;
      auto e = federation::internalEntity(std::move(raw), call.context());
      if (!e) continue;
      if (!found) entity[ngsi::key::id] = id;
      federation::merge(entity, std::move(*e), remote->sources[i]);
      found = true;
    }
  if (!found || !admitted(call, entity))
    fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "' here or at its registered sources");
  return entity;
}

http::Response retrieveAnswer(Call& call, Remote* remote) {
  auto id = entityIdParam(call);
  auto mapUse = entityMapUse(call);
  alignas(std::max_align_t) unsigned char firstBlock[16 * 1024];
  boost::json::monotonic_resource arena(firstBlock, sizeof firstBlock);  // the entity and its rendering
  auto media = negotiate(call.req, true);
  auto options = renderOptions(call);
  options.storage = &arena;
  auto join = joinParams(call, options);
  auto types = typeParam(call);
  auto entity = mergedEntity(call, id, remote, &arena);
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
  // A rendering without anything asked for is no answer.
  auto requireMembers = [&](const ngsi::RenderedMembers& written) {
    if (written.count == 0 || (options.attrs && !options.attrs->empty() && !written.attributes))
      fail(ErrorType::ResourceNotFound, "the entity '" + id + "' has none of the requested attributes");
  };
  http::Response res;
  if (join.kind == ngsi::Join::Kind::None && !versionPreference(call.req)) {  // the text as it is rendered
    res = call.respondText(200, media, [&](std::string& out) {
      requireMembers(ngsi::writeEntity(out, entity, ctx, options));
    });
  } else {
    auto rendered = renderJoined(call, entity, options, join);
    const auto& main = rendered.is_array() ? rendered.get_array()[0].get_object() : rendered.get_object();
    requireMembers({main.size(), hasAnyAttribute(main)});
    res = respondForVersion(call, 200, std::move(rendered), media, entityPayload(options));
  }
  finishEntityMap(call, mapUse, {id}, res);
  return res;
}

// A retrieve asks the registered sources that may hold the entity
// (retrieveEntity, else queryEntity, else queryBatch) unless local=true.
http::Response retrieveEntity(Call& call) {
  call.allowParams({"attrs", "pick", "omit", "type", "options", "format", "lang", "geometryProperty",
                    "datasetId", "local", "join", "joinLevel", "containedBy", "entityMap", "entityMapLifetime"});
  auto id = entityIdParam(call);
  if (mayForward(call)) {
    call.requireTenant();
    federation::RegistrationQuery q;
    q.ids = {id};
    if (auto t = call.req.param("type")) q.types = query::parseTypeSelection(*t, call.context());
    auto sources = sourcesFor(call, call.services.registrations.list(call.tenant()), q,
                              {"retrieveEntity", "queryEntity", "queryBatch"});
    if (!sources.empty()) {
      std::vector<std::string> attrs;
      for (const auto& a : call.listParam("attrs")) attrs.push_back(call.context().expand(a));
      auto client = clientRequest(call);
      std::vector<federation::ForwardRequest> requests;
      for (const auto& s : sources) requests.push_back(federation::retrieveRequest(s, client, id, attrs));
      return forwardThen(call, std::move(sources), std::move(requests), true,
                         [](Call& again, Remote& remote) { return retrieveAnswer(again, &remote); });
    }
  }
  return retrieveAnswer(call, nullptr);
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
  // Writes are distributed writes (clause 4.20 names their operations).
  auto write = [](std::string operation, Handler local) {
    return [operation, local](Call& call) {
      return distributedWrite(call, {operation, entityIdParam(call), std::nullopt, std::nullopt}, local);
    };
  };
  addRoute(router, services, "POST", kEntitiesPath, [](Call& call) {
    const auto* id = call.body().if_contains("id");
    if (!id || !id->is_string() || !ngsi::isUri(id->get_string())) return createEntity(call);
    return distributedWrite(call, {"createEntity", std::string(id->get_string()), std::nullopt, std::nullopt}, createEntity, 201);
  });
  addRoute(router, services, "GET", one, retrieveEntity);
  addRoute(router, services, "DELETE", one, write("deleteEntity", deleteEntity));
  addRoute(router, services, "PUT", one, write("replaceEntity", replaceEntity));
  addRoute(router, services, "PATCH", one, write("mergeEntity", mergeEntity));
  addRoute(router, services, "PUT", kEntitiesPath, missingEntityId);
  addRoute(router, services, "PATCH", kEntitiesPath, missingEntityId);
}

}  // namespace allmende::api
