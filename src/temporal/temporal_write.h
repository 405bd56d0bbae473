// Writes of the temporal API (clause 5.6.11, 5.6.12): a temporal
// representation of an entity (each attribute an array of instances) is
// recorded instance by instance in the history, and the entity itself takes
// each attribute's latest instance per datasetId (by observedAt), so that the
// current state and the history stay one. An instance sent again for the same
// attribute, datasetId and time replaces the stored one. Both happen in one
// durable write through ngsi::WritePath (the mutator records its own history).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "jsonld/context.h"
#include "store/store.h"

namespace allmende::temporal {

struct TemporalFragment {
  boost::json::object
      entity;  // parsed (ngsi/parse.h): id, type, scope, and the latest instances as attrs
  std::vector<std::pair<std::string, boost::json::object>>
      instances;              // attribute IRI ("scope" for the scope), parsed instance
  bool scopeHistory = false;  // the scope was given as instances (with their observedAt)
};

// Parses a temporal representation (normalized or concise instances; an
// attribute may be one instance or an array; the scope may be given as
// instances too, {"type": "Property", "value": ..., "observedAt": ...}, or as
// the entity's scope). create: id and type are required. Throws ngsi::Error
// BadRequestData naming the fault.
TemporalFragment parseTemporalEntity(const boost::json::object& body, const jsonld::Context& ctx,
                                     bool create);

// The write for an entity in state `current` (nullopt: it is created): the
// fragment's latest instances appended to it, all its instances as history.
store::EntityWrite temporalWrite(const std::optional<store::Entity>& current,
                                 const TemporalFragment& fragment, int64_t now);

}  // namespace allmende::temporal
