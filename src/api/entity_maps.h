// How queries and retrieves take part in EntityMaps (5.5.14, 5.7.1.4, 6.3.x):
// entityMap=true asks for a new map of what the request selects; an
// NGSILD-EntityMap header names a map to page through (a map that no longer
// exists is replaced by a new one). The answer names the map in NGSILD-EntityMap.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/call.h"
#include "api/entity_map_registry.h"
#include "store/entity_query.h"

namespace allmende::api {

struct EntityMapUse {
  bool active = false;             // the request takes part in a map
  std::optional<EntityMap> live;   // the map it names, if that still exists
  int64_t lifetimeMs = EntityMapRegistry::kDefaultLifetimeMs;
};

// Reads entityMap, entityMapLifetime and the NGSILD-EntityMap header.
EntityMapUse entityMapUse(Call& call);

// After the request: a live map keeps only `matched` (entities that no longer
// fit are pruned); otherwise a new map of `matched` is made, held where
// `sources` says (parallel to matched: registration ids, "@none" = here;
// empty: all here). Sets the header; true if a map was made.
bool finishEntityMap(Call& call, const EntityMapUse& use, std::vector<std::string> matched, http::Response& res,
                     std::vector<std::vector<std::string>> sources = {});

// A new map of these entities living lifetimeMs: 201 with the EntityMap, its location in
// NGSILD-EntityMap and Location (Create EntityMap, 5.14.4, 5.14.5).
http::Response createdMapResponse(Call& call, std::vector<std::string> entityIds,
                                  int64_t lifetimeMs);

}  // namespace allmende::api
