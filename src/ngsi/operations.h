// The entity operations of NGSI-LD (clause 5.6) applied to the internal form:
// create, append/update/replace/merge attributes, partial attribute update,
// delete attribute, replace entity. Pure functions of (entity, input, now):
// the api layer runs them inside the write path (Store::modifyEntities), so each is atomic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

namespace allmende::ngsi {

namespace json = boost::json;

// Which attributes an operation changed and which it did not, and why
// (attribute names are expanded IRIs). Drives 204 vs 207 responses.
struct AttributeOutcome {
  std::vector<std::string> updated;
  std::vector<std::pair<std::string, std::string>> notUpdated;  // name, reason
};

// A new entity from parsed input: sets createdAt/modifiedAt everywhere.
json::object createEntity(json::object parsed, int64_t now);

// Append Entity Attributes (POST .../attrs): adds attributes and instances;
// existing ones are replaced unless noOverwrite. Entity types in the fragment are added.
AttributeOutcome appendAttributes(json::object& entity, const json::object& fragment,
                                  bool noOverwrite, int64_t now);

// Update Entity Attributes (PATCH .../attrs): replaces existing attribute
// instances and adds the others (conformance 011_01_03); an NGSI-LD null that
// names no existing attribute or instance is reported as not updated.
AttributeOutcome updateAttributes(json::object& entity, const json::object& fragment, int64_t now);

// Partial Attribute Update (PATCH .../attrs/{attr}): merges the given members
// into the existing instance (selected by datasetId). Throws ResourceNotFound.
void partialUpdateAttribute(json::object& entity, const std::string& attr,
                            const json::array& instances, int64_t now);

// Replace Attribute (PUT .../attrs/{attr}). Throws ResourceNotFound.
void replaceAttribute(json::object& entity, const std::string& attr, const json::array& instances,
                      int64_t now);

// Delete Attribute: one instance (datasetId, default instance if empty) or all.
// Throws ResourceNotFound.
void deleteAttribute(json::object& entity, const std::string& attr,
                     const std::optional<std::string>& datasetId, bool deleteAll, int64_t now);

// Removes the entity's scope (DELETE .../attrs/scope). Throws ResourceNotFound.
void deleteScope(json::object& entity, int64_t now);

// Replace Entity (PUT /entities/{id}): keeps id and createdAt, takes everything else.
json::object replaceEntity(const json::object& current, json::object parsed, int64_t now);

// Merge Entity (PATCH /entities/{id}): merge-patch semantics; null or
// "urn:ngsi-ld:null" deletes an attribute, sub-attribute, the scope or expiresAt.
void mergeEntity(json::object& entity, const json::object& fragment, int64_t now);

}  // namespace allmende::ngsi
