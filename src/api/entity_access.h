// Shared steps of the entity and attribute endpoints: the entity id of the
// path, reading an entity as a request sees it (tenant, expiry, type filter),
// mutating an existing entity through the write path, and the output options
// (options/format, attrs, pick/omit, lang, sysAttrs) of a retrieval.
#pragma once

#include <functional>
#include <string>

#include <boost/json.hpp>

#include "api/call.h"
#include "ngsi/operations.h"
#include "ngsi/render.h"

namespace allmende::api {

namespace json = boost::json;


// Path parameter i as an entity id; BadRequestData if it is not a URI.
std::string entityIdParam(const Call& call, size_t i = 0);

// True if the caller may read the entity (internal form, auth/access.h); then
// the attributes it may not see are taken out of it.
bool admitted(Call& call, json::object& entity);

// An entity of only an id and types (internal form): what selectors and
// grants look at of an entity known by its history or from a source.
json::object entityStub(std::string_view id, const std::vector<std::string>& types);

// What the caller's grants are judged on for an entity's history (the
// temporal API): the current entity, else the id and types its history
// records; nullopt when neither exists.
std::optional<json::object> historySubject(Call& call, const std::string& id);

// The entity as readers see it (admitted), or ResourceNotFound (expired data
// and entities the caller may not read count as absent); made in `storage`
// (the default: the heap).
json::object readEntity(Call& call, const std::string& id, json::storage_ptr storage = {});

// Mutators for the write path, shared by single-entity and batch operations:
// change an existing entity (ResourceNotFound if there is none, or none with one
// of `types` when not empty), create one (AlreadyExists), delete one.
store::Store::Mutator changeMutator(std::string id, std::vector<std::string> types,
                                    std::function<void(json::object&)> op);
store::Store::Mutator createMutator(json::object parsed, int64_t now);
store::Store::Mutator deleteMutator(std::string id, std::vector<std::string> types);

// Applies op to the existing entity atomically; ResourceNotFound if there is
// none, or none with one of `types` (when not empty).
void mutateEntity(Call& call, const std::string& id, const std::vector<std::string>& types,
                  const std::function<void(json::object&)>& op);

// Creates a parsed (ParseMode::Create) entity; AlreadyExists if it exists.
void insertEntity(Call& call, json::object parsed, int64_t now);

// Deletes the entity; ResourceNotFound if there is none (with one of `types`).
void removeEntity(Call& call, const std::string& id, const std::vector<std::string>& types);

// The entity types named by a "type" query parameter, expanded (empty if none given).
std::vector<std::string> typeParam(Call& call);
// True if the entity has one of the types (or types is empty).
bool hasAnyType(const json::object& entity, const std::vector<std::string>& types);

// A pick/omit expression ("id,name|speed", "id,locatedAt{name,inCountry{name}}"),
// names compacted with the request's context; BadRequestData if malformed.
ngsi::Projection parseProjection(Call& call, std::string_view expr, std::string_view param);
// How deep a projection reaches into linked entities (0: not at all).
int projectionDepth(const ngsi::Projection& p);

// Render options from options/format/attrs/pick/omit/lang/datasetId parameters.
// Values of options and format named in `ownValues` are left to the caller
// (the temporal API's temporalValues, aggregatedValues).
ngsi::RenderOptions renderOptions(Call& call,
                                  std::initializer_list<std::string_view> ownValues = {});

// 204 when every attribute was changed, else 207 with the UpdateResult body.
http::Response outcomeResponse(Call& call, const ngsi::AttributeOutcome& outcome);

}  // namespace allmende::api
