// The value filters of a query (clauses 4.9, 4.10, 4.19): q, scopeQ and a
// geo-query, parsed once per request. Entity queries test them on an entity's
// current state (api/entity_selection.h), temporal queries on its history
// within the requested time (temporal/history_filter.h); both with the
// evaluators of query/q.h and query/entity_selector.h.
#pragma once

#include <optional>

#include "query/geo.h"
#include "query/q.h"

namespace allmende::query {

struct ValueFilters {
  ExprPtr q;
  ExprPtr scopeQ;
  std::optional<GeoQuery> geo;
  // Reads linked entities for q terms on them (rel{attr}); empty when q has none.
  EntityResolver linked;

  bool any() const { return q || scopeQ || geo; }
};

}  // namespace allmende::query
