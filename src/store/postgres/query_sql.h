// Compiles the candidate selectors of a store::EntityQuery (ids, types,
// attributes, geo box, number, string and time ranges) into an SQL condition
// on the entities table (alias e), with its values as parameters, never
// spliced into the SQL text. The selectors are exact in SQL; what else the
// query asks (q terms beyond ranges, scopeQ, the geo relation, ...) stays in
// the query's predicate, checked in the broker.
#pragma once

#include <string>
#include <string_view>

#include "store/entity_query.h"
#include "store/postgres/connection.h"

namespace allmende::store::pg {

struct SqlCondition {
  std::string sql;  // "e.tenant = $1 AND ..."
  Params params;
};

SqlCondition selectorCondition(std::string_view tenant, const EntityQuery& q);

// The rows of entity_geometries for a box: one, or two for a box across the
// antimeridian (minLon > maxLon), as (minLon, minLat, maxLon, maxLat).
std::vector<query::GeoBox> unwrappedBoxes(const query::GeoBox& box);

}  // namespace allmende::store::pg
