// Copying entities between store tenants, to make and to clone snapshots: the
// entities a query selects in one tenant are written, as they are, into
// another, a chunk at a time. The store is written directly, not through
// ngsi::WritePath: a copy records no history and notifies nobody.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include <boost/json/object.hpp>

#include "store/entity_query.h"
#include "store/store.h"

namespace allmende::snapshots {

// Copies the entities q selects in `from` into `to`, each changed by `shape`
// first when given, and returns how many were copied. q's paging is ignored.
// If q selects more than `limit` entities, nothing is copied: TooManyResults.
size_t copyEntities(store::Store& store, std::string_view from, std::string_view to, store::EntityQuery q,
                    size_t limit, const std::function<void(boost::json::object&)>& shape = {});

}  // namespace allmende::snapshots
