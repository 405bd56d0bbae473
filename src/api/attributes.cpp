// Entity attribute endpoints (clause 5.6.3-5.6.5, 6.6-6.7): append, update,
// partial update, replace and delete attributes.
#include "api/distributed_write.h"
#include "api/entity_access.h"
#include "api/routes.h"
#include "http/message.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/parse.h"
#include "ngsi/syntax.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

// The attribute name of the path, expanded with the request's context (read
// the body first: an ld+json body carries the context). "scope" is not an
// attribute: only DELETE may name it, which the caller handles.
std::string attributeParam(Call& call) {
  const auto& name = call.pathParam(1);
  if (!ngsi::isValidName(name) || name[0] == '@' || http::isDotSegment(name))
    fail(ErrorType::BadRequestData, "invalid attribute name '" + name + "'");
  if (name == "scope") fail(ErrorType::BadRequestData, "scope is not an attribute and cannot be changed here");
  return call.context().expand(name);
}

// The body of .../attrs: attributes to append or update. Content-Type
// application/merge-patch+json counts as application/json here (clients such
// as ngsijs send it on POST too).
json::object fragment(Call& call, ngsi::ParseMode mode, const std::string& id) {
  const auto& body = call.body(true);
  auto parsed = ngsi::parseEntity(body, call.context(), mode);
  if (auto* bodyId = parsed.if_contains(ngsi::key::id); bodyId && bodyId->get_string() != id)
    fail(ErrorType::BadRequestData, "the id in the body does not match the id in the path");
  return parsed;
}

// The body of .../attrs/{attr}: the attribute itself (an instance or an array of them).
json::array attributeBody(Call& call, ngsi::ParseMode mode) {
  const auto& body = call.body(true);
  json::object value;
  for (const auto& [k, v] : body)
    if (k != "@context") value[k] = v;
  const auto& name = call.pathParam(1);
  return ngsi::parseAttribute(value, name, call.context().expand(name), call.context(), mode);
}

http::Response appendAttributes(Call& call) {
  call.allowParams({"options", "type", "local"});
  auto id = entityIdParam(call);
  bool noOverwrite = false;
  for (const auto& o : call.listParam("options")) {
    if (o == "noOverwrite")
      noOverwrite = true;
    else
      fail(ErrorType::BadRequestData, "unknown options value '" + o + "'");
  }
  auto parsed = fragment(call, ngsi::ParseMode::Fragment, id);
  auto types = typeParam(call);
  ngsi::AttributeOutcome outcome;
  auto now = ngsi::nowMs();
  mutateEntity(call, id, types, [&](json::object& entity) {
    outcome = ngsi::appendAttributes(entity, parsed, noOverwrite, now);
  });
  return outcomeResponse(call, outcome);
}

http::Response updateAttributes(Call& call) {
  call.allowParams({"type", "local"});
  auto id = entityIdParam(call);
  auto parsed = fragment(call, ngsi::ParseMode::Patch, id);
  auto types = typeParam(call);
  ngsi::AttributeOutcome outcome;
  auto now = ngsi::nowMs();
  mutateEntity(call, id, types, [&](json::object& entity) {
    outcome = ngsi::updateAttributes(entity, parsed, now);
  });
  return outcomeResponse(call, outcome);
}

http::Response partialUpdate(Call& call) {
  call.allowParams({"type", "local"});
  auto id = entityIdParam(call);
  auto instances = attributeBody(call, ngsi::ParseMode::Patch);
  auto attr = attributeParam(call);
  auto types = typeParam(call);
  auto now = ngsi::nowMs();
  mutateEntity(call, id, types, [&](json::object& entity) {
    ngsi::partialUpdateAttribute(entity, attr, instances, now);
  });
  return call.empty(204);
}

http::Response replaceAttribute(Call& call) {
  call.allowParams({"type", "local"});
  auto id = entityIdParam(call);
  auto instances = attributeBody(call, ngsi::ParseMode::Fragment);
  auto attr = attributeParam(call);
  auto types = typeParam(call);
  auto now = ngsi::nowMs();
  mutateEntity(call, id, types, [&](json::object& entity) {
    ngsi::replaceAttribute(entity, attr, instances, now);
  });
  return call.empty(204);
}

http::Response deleteAttribute(Call& call) {
  call.allowParams({"datasetId", "deleteAll", "type", "local"});
  auto id = entityIdParam(call);
  auto types = typeParam(call);
  auto now = ngsi::nowMs();
  if (call.pathParam(1) == "scope") {
    mutateEntity(call, id, types, [&](json::object& entity) { ngsi::deleteScope(entity, now); });
    return call.empty(204);
  }
  auto attr = attributeParam(call);
  std::optional<std::string> datasetId;
  if (auto ds = call.req.param("datasetId")) {
    if (!ngsi::isUri(*ds)) fail(ErrorType::BadRequestData, ngsi::notUriDetail("datasetId", *ds));
    datasetId = std::string(*ds);
  }
  bool deleteAll = false;
  if (auto all = call.req.param("deleteAll")) {
    if (*all != "true" && *all != "false") fail(ErrorType::BadRequestData, "deleteAll must be true or false");
    deleteAll = *all == "true";
  }
  mutateEntity(call, id, types, [&](json::object& entity) {
    ngsi::deleteAttribute(entity, attr, datasetId, deleteAll, now);
  });
  return call.empty(204);
}

}  // namespace

void registerAttributeRoutes(http::Router& router, Services& services) {
  constexpr std::string_view attrs = "/ngsi-ld/v1/entities/{}/attrs";
  constexpr std::string_view one = "/ngsi-ld/v1/entities/{}/attrs/{}";
  // Each is a distributed write (clause 4.20 names its operation).
  auto entityWrite = [](std::string operation, Handler local) {
    return [operation, local](Call& call) {
      return distributedWrite(call, {operation, entityIdParam(call), std::nullopt, std::nullopt}, local);
    };
  };
  auto attributeWrite = [](std::string operation, Handler local) {
    return [operation, local](Call& call) {
      return distributedWrite(call, {operation, entityIdParam(call), call.pathParam(1), std::nullopt},
                              local);
    };
  };
  addRoute(router, services, "POST", attrs, entityWrite("appendAttrs", appendAttributes));
  addRoute(router, services, "PATCH", attrs, entityWrite("updateEntity", updateAttributes));
  addRoute(router, services, "PATCH", one, attributeWrite("updateAttrs", partialUpdate));
  addRoute(router, services, "PUT", one, attributeWrite("replaceAttrs", replaceAttribute));
  addRoute(router, services, "DELETE", one, attributeWrite("deleteAttrs", deleteAttribute));
}

}  // namespace allmende::api
