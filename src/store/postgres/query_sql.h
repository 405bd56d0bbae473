// Compiles the candidate selectors of a store::EntityQuery (ids, types,
// attributes, geo box, number, string and time ranges) into SQL on the
// entities table (alias e), with its values as parameters, never spliced into
// the SQL text. The selectors are exact in SQL; what else the query asks (q
// terms beyond ranges, scopeQ, the geo relation, ...) stays in the query's
// predicate, checked in the broker.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/entity_query.h"
#include "store/postgres/connection.h"

namespace allmende::store::pg {

// The parameters of one statement as it is written: param() adds a value and
// gives its placeholder ($1, $2, ... in the order added).
class SqlBuilder {
 public:
  template <class T>
  std::string param(const T& value) {
    params.add(value);
    return "$" + std::to_string(params.size());
  }
  Params params;
};

// What the rows a query walks decide already: one side range's (walked in
// value order: see firstOfItsEntity) or the geo box's (geoRows).
struct Walked {
  std::optional<size_t> range;
  bool geo = false;
};

// The condition on entities e for every selector of the query. What `walked`
// decides is no condition of its own, and, with a walk, the ranges are
// checked candidate by candidate (an index probe each, in the order of the
// walk, which a LIMIT can end), not joined as sets.
std::string selectorCondition(SqlBuilder& b, std::string_view tenant, const EntityQuery& q,
                              Walked walked = {});

// The ids of the entities whose GeoProperty has a box meeting the query's geo
// box, in id order, as a subquery (alias g inside): "(SELECT DISTINCT g.id FROM
// entity_geometries g WHERE ... ORDER BY g.id)".
std::string geoRows(SqlBuilder& b, std::string_view tenant, const EntityQuery& q);
// Those rows' table and condition, without order: "entity_geometries g WHERE ...".
std::string geoBoxRows(SqlBuilder& b, std::string_view tenant, const EntityQuery& q);

// The value ranges of the query that a side table holds (its number, string
// and time ranges but those on createdAt and modifiedAt), by position.
size_t sideRanges(const EntityQuery& q);
// Range k's rows in its side table, as the table (alias d, or `alias`) and its condition:
// "entity_numbers d WHERE d.tenant = $n AND d.attribute = $m AND d.value >= ...".
// Their columns: d.id, d.value.
std::string sideRangeRows(SqlBuilder& b, std::string_view tenant, const EntityQuery& q, size_t k,
                          const std::string& alias = "d");
// The condition that a row d of range k is its entity's first in the range
// (the least value; of equal ones, the first stored): a walk of the range's
// rows in value order meets each entity once, without sorting them all. A
// number that is its attribute's sole value is the only row of its entity.
std::string firstOfItsEntity(SqlBuilder& b, std::string_view tenant, const EntityQuery& q, size_t k);

// The rows of entity_geometries for a box: one, or two for a box across the
// antimeridian (minLon > maxLon), as (minLon, minLat, maxLon, maxLat).
std::vector<query::GeoBox> unwrappedBoxes(const query::GeoBox& box);

}  // namespace allmende::store::pg
