// The internal form of an entity, as stored and as passed between layers.
// Everything is expanded (full IRIs) so that requests with different @contexts
// see the same data; compaction happens per response (ngsi/render.h).
//
//   { "id": "urn:...", "type": ["<type IRI>", ...], "scope": ["/a/b", ...],
//     "createdAt": <epoch ms>, "modifiedAt": <epoch ms>, "expiresAt": "<ISO 8601>",
//     "attrs": { "<attribute IRI>": [ <instance>, ... ] } }
//
// An instance (one per datasetId; the default instance has none):
//   { "type": "Property" | "Relationship" | "GeoProperty" | "LanguageProperty" |
//             "VocabProperty" | "JsonProperty" | "ListProperty" | "ListRelationship",
//     <value member>: ...,   // value | object | languageMap | vocab | json | valueList | objectList
//     "datasetId", "observedAt", "unitCode", "expiresAt", "objectType": optional,
//     "createdAt", "modifiedAt": epoch ms,
//     "subs": { "<sub-attribute IRI>": <instance> } }   // sub-attributes, any depth
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "store/store.h"

namespace allmende::ngsi {

namespace json = boost::json;

namespace key {
inline constexpr std::string_view id = "id";
inline constexpr std::string_view type = "type";
inline constexpr std::string_view scope = "scope";
inline constexpr std::string_view createdAt = "createdAt";
inline constexpr std::string_view modifiedAt = "modifiedAt";
inline constexpr std::string_view expiresAt = "expiresAt";
inline constexpr std::string_view attrs = "attrs";
inline constexpr std::string_view subs = "subs";
inline constexpr std::string_view datasetId = "datasetId";
inline constexpr std::string_view observedAt = "observedAt";
inline constexpr std::string_view unitCode = "unitCode";
inline constexpr std::string_view objectType = "objectType";
}  // namespace key

enum class AttributeKind {
  Property,
  Relationship,
  GeoProperty,
  LanguageProperty,
  VocabProperty,
  JsonProperty,
  ListProperty,
  ListRelationship,
};

// "Property", ... and the member holding the value ("value", "object", ...).
std::string_view kindName(AttributeKind kind);
std::string_view valueMember(AttributeKind kind);
// The kind named by an attribute "type" (short name, "ngsi-ld:X" or full IRI).
std::optional<AttributeKind> kindFromName(std::string_view name);
AttributeKind kindOf(const json::object& instance);

// The datasetId of an instance, or "" for the default instance.
std::string_view datasetIdOf(const json::object& instance);

// How many attribute instances the entity holds: every instance of every
// attribute (one per datasetId) and every sub-attribute, at any depth. What
// --max-attributes bounds (see WritePath).
size_t attributeCount(const json::object& entity);

// True if the instance (or the entity) has an expiresAt at or before nowMs.
bool isExpired(const json::object& holder, int64_t nowMs);

// Index facts of an entity (types, earliest expiry) for the store.
store::EntityMeta entityMeta(const store::Entity& entity);

}  // namespace allmende::ngsi
