// What a write stores of its entities in PostgreSQL: the entity rows (the
// document and the query columns) and the side tables' rows (schema.cpp), as
// statements added to the write's batch.
#pragma once

#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "store/postgres/connection.h"
#include "store/store.h"

namespace allmende::store::pg {

// Adds the writes of the entities' new states (rows `last` of `out`; a
// deletion where `after` is empty) with their query columns to the batch,
// and those of their side tables' rows, only of the attributes whose values
// there changed against `stored` (an update of one value rewrites one row).
void writeEntities(Batch& b, std::string_view tenant, const std::vector<Store::Mutation>& mutations,
                   const std::vector<Store::Outcome>& out, const std::vector<size_t>& last,
                   const boost::unordered_flat_map<std::string_view, Entity>& stored,
                   const MetaExtractor& extractor);

}  // namespace allmende::store::pg
