// Temporal provision (clause 5.6.11-5.6.14; 6.18-6.21): create or update a
// temporal representation (POST /temporal/entities), add instances (POST
// /temporal/entities/{id}/attrs), delete an entity's history (DELETE
// /temporal/entities/{id}) or an attribute's (DELETE .../attrs/{attrId} with
// datasetId or deleteAll), modify or delete one instance (PATCH, DELETE
// .../attrs/{attrId}/{instanceId}). Writes go through ngsi::WritePath like
// every other entity change (temporal/temporal_write.h). A temporal create
// makes the current entity too, so deleting an entity's temporal
// representation deletes the entity as well; deleting an attribute's history
// or an instance touches the history only.
#include "api/entity_access.h"
#include "api/routes.h"
#include "http/message.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/history_capture.h"
#include "ngsi/parse.h"
#include "ngsi/syntax.h"
#include "temporal/temporal_write.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kTemporalPath = "/ngsi-ld/v1/temporal/entities";

void requireHistory(Call& call) {
  if (!call.services.writes.recordsHistory())
    fail(ErrorType::OperationNotSupported, "this broker records no history (--history off)");
}

// Refuses a temporal change of the attributes `names` (IRIs; for the whole
// entity: all it has) as auth/access.h says, judged on the current entity, else
// on what its history records (id and types); `fresh`: the entity a creation
// makes, judged when neither exists.
void checkTemporalChange(Call& call, const std::string& id, std::optional<std::vector<std::string>> names,
                         const json::object* fresh = nullptr) {
  const auto& access = *call.access();
  if (access.writesEverything()) return;
  auto current = historySubject(call, id);
  if (!current) {
    if (fresh) access.checkWrite(id, nullptr, fresh);
    return;
  }
  if (!names) {
    names.emplace();
    for (const auto& [attribute, _] : call.services.store.historyAttributes(call.tenant(), id)) names->push_back(attribute);
    if (auto* attrs = current->if_contains(ngsi::key::attrs))
      for (const auto& [attribute, _] : attrs->get_object()) names->emplace_back(attribute);
  }
  access.checkAttributes(id, *current, *names);
}

// The attributes a temporal fragment writes.
std::vector<std::string> writtenAttributes(const temporal::TemporalFragment& fragment) {
  std::vector<std::string> out;
  for (const auto& [attribute, _] : fragment.instances) out.push_back(attribute);
  return out;
}

http::Response createTemporal(Call& call) {
  call.allowParams({"local"});
  requireHistory(call);
  const auto& body = call.body();  // first: it may carry the @context
  auto fragment = temporal::parseTemporalEntity(body, call.context(), true);
  std::string id(fragment.entity.at(ngsi::key::id).get_string());
  bool existed = call.services.store.historyEntity(call.tenant(), id).has_value();
  checkTemporalChange(call, id, writtenAttributes(fragment), &fragment.entity);
  call.services.writes.apply(
      call.tenant(), call.author(), id, [&fragment](const std::optional<store::Entity>& current) {
        return std::optional(temporal::temporalWrite(current, fragment, ngsi::nowMs()));
      });
  if (existed) return call.empty(204);
  auto res = call.empty(201);
  res.setHeader("Location", std::string(kTemporalPath) + "/" + http::percentEncode(id));
  return res;
}

http::Response appendTemporal(Call& call) {
  call.allowParams({"local"});
  requireHistory(call);
  auto id = entityIdParam(call);
  call.requireTenant();
  const auto& body = call.body();  // first: it may carry the @context
  auto fragment = temporal::parseTemporalEntity(body, call.context(), false);
  if (auto* given = fragment.entity.if_contains(ngsi::key::id); given && given->get_string() != id)
    fail(ErrorType::BadRequestData, "the body's id differs from the id in the path");
  fragment.entity[ngsi::key::id] = id;
  if (!call.services.store.historyEntity(call.tenant(), id))
    fail(ErrorType::ResourceNotFound,
         "no temporal representation of an entity with id '" + id + "'");
  checkTemporalChange(call, id, writtenAttributes(fragment));
  call.services.writes.apply(
      call.tenant(), call.author(), id, [&fragment](const std::optional<store::Entity>& current) {
        return std::optional(temporal::temporalWrite(current, fragment, ngsi::nowMs()));
      });
  return call.empty(204);
}

http::Response deleteTemporal(Call& call) {
  call.allowParams({"local", "type"});
  auto id = entityIdParam(call);
  call.requireTenant();
  if (!call.services.store.historyEntity(call.tenant(), id))
    fail(ErrorType::ResourceNotFound,
         "no temporal representation of an entity with id '" + id + "'");
  checkTemporalChange(call, id, std::nullopt);
  // The current entity first (subscribers are told), then all history, its deletion included.
  call.services.writes.apply(call.tenant(), call.author(), id, [](const std::optional<store::Entity>& current) {
    return current ? std::optional(store::EntityWrite{store::EntityWrite::Kind::Delete, {}, {}})
                   : std::nullopt;
  });
  call.services.store.deleteHistory(call.tenant(), id, std::nullopt, std::nullopt);
  call.audit(call.tenant(), id, "deleteHistory");
  return call.empty(204);
}

// The attribute IRI of path parameter 1 ("scope" stays as it is).
std::string attributeParam(Call& call) {
  const auto& name = call.pathParam(1);
  if (!ngsi::isValidName(name) || http::isDotSegment(name))
    fail(ErrorType::BadRequestData, "invalid attribute name '" + name + "'");
  return name == "scope" ? name : call.context().expand(name);
}

std::string instanceIdParam(const Call& call) {
  const auto& instanceId = call.pathParam(2);
  if (!ngsi::isUri(instanceId))
    fail(ErrorType::BadRequestData, ngsi::notUriDetail("the instanceId", instanceId));
  return instanceId;
}

http::Response deleteTemporalAttribute(Call& call) {
  call.allowParams({"datasetId", "deleteAll", "local"});
  auto id = entityIdParam(call);
  auto iri = attributeParam(call);
  const auto& name = call.pathParam(1);
  call.requireTenant();
  auto deleteAll = call.req.param("deleteAll");
  if (deleteAll && *deleteAll != "true" && *deleteAll != "false")
    fail(ErrorType::BadRequestData, "deleteAll must be true or false");
  std::optional<std::string> datasetId;  // nullopt: every datasetId
  if (deleteAll != "true") datasetId = std::string(call.req.param("datasetId").value_or(""));
  if (datasetId && !datasetId->empty() && !ngsi::isUri(*datasetId))
    fail(ErrorType::BadRequestData, ngsi::notUriDetail("the datasetId", *datasetId));
  checkTemporalChange(call, id, std::vector<std::string>{iri});
  if (!call.services.store.deleteHistory(call.tenant(), id, iri, datasetId))
    fail(ErrorType::ResourceNotFound,
         "the entity '" + id + "' has no history of the attribute '" + name + "'" +
             (datasetId && !datasetId->empty() ? " with datasetId '" + *datasetId + "'" : ""));
  call.audit(call.tenant(), id, "deleteHistory", {iri});
  return call.empty(204);
}

void changeInstance(
    Call& call, const std::string& operation, const std::string& id, const std::string& iri, const std::string& instanceId,
    const std::function<std::optional<store::HistoryInstance>(const store::HistoryInstance&)>&
        change) {
  call.requireTenant();
  if (!call.services.store.historyEntity(call.tenant(), id))
    fail(ErrorType::ResourceNotFound,
         "no temporal representation of an entity with id '" + id + "'");
  checkTemporalChange(call, id, std::vector<std::string>{iri});
  if (!call.services.store.changeHistoryInstance(call.tenant(), id, iri, instanceId, change))
    fail(ErrorType::ResourceNotFound, "the attribute '" + call.pathParam(1) + "' of '" + id +
                                          "' has no instance '" + instanceId + "'");
  call.audit(call.tenant(), id, operation, {iri});
}

// The given members replace the instance's; its datasetId and createdAt stay.
http::Response modifyInstance(Call& call) {
  call.allowParams({"local"});
  json::object body = call.body();  // first: it may carry the @context
  auto id = entityIdParam(call);
  auto iri = attributeParam(call);
  auto instanceId = instanceIdParam(call);
  const auto& name = call.pathParam(1);
  json::value given = body.contains(name) ? body.at(name) : json::value(body);
  if (given.is_object()) given.get_object().erase("@context");
  json::object fragment;
  fragment[name] = std::move(given);
  auto parsed = ngsi::parseEntity(std::move(fragment), call.context(), ngsi::ParseMode::Fragment);
  const auto& attrs = parsed.at(ngsi::key::attrs).get_object();
  if (attrs.empty())
    fail(ErrorType::BadRequestData, "'" + name + "' cannot be modified instance by instance");
  const auto& patch = attrs.begin()->value().get_array().at(0).get_object();
  auto now = ngsi::nowMs();
  changeInstance(call, "modifyInstance", id, iri, instanceId, [&](const store::HistoryInstance& current) {
    json::object merged = current.instance;
    for (const auto& [member, v] : patch)
      if (member != ngsi::key::datasetId) merged[member] = v;
    merged[ngsi::key::modifiedAt] = now;
    auto replacement = ngsi::historyInstance(iri, merged, now);
    if (!merged.contains(ngsi::key::observedAt)) replacement.timeMs = current.timeMs;
    return std::optional(std::move(replacement));
  });
  return call.empty(204);
}

http::Response deleteInstance(Call& call) {
  call.allowParams({"local"});
  auto id = entityIdParam(call);
  auto iri = attributeParam(call);
  auto instanceId = instanceIdParam(call);
  changeInstance(call, "deleteInstance", id, iri, instanceId, [](const store::HistoryInstance&) {
    return std::optional<store::HistoryInstance>();
  });
  return call.empty(204);
}

}  // namespace

void registerTemporalEntityRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "POST", "/ngsi-ld/v1/temporal/entities", createTemporal);
  addRoute(router, services, "DELETE", "/ngsi-ld/v1/temporal/entities/{}", deleteTemporal);
  addRoute(router, services, "POST", "/ngsi-ld/v1/temporal/entities/{}/attrs", appendTemporal);
  addRoute(router, services, "DELETE", "/ngsi-ld/v1/temporal/entities/{}/attrs/{}",
           deleteTemporalAttribute);
  addRoute(router, services, "PATCH", "/ngsi-ld/v1/temporal/entities/{}/attrs/{}/{}",
           modifyInstance);
  addRoute(router, services, "DELETE", "/ngsi-ld/v1/temporal/entities/{}/attrs/{}/{}",
           deleteInstance);
}

}  // namespace allmende::api
