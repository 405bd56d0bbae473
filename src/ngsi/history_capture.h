// History capture (clause 4.5.6): the attribute instances one entity change
// records. WritePath calls it inside the store's atomic step for every write
// whose mutator records no instances of its own, so that entity endpoints,
// batch operations and expiry all record history through the one write path.
#pragma once

#include <cstdint>
#include <optional>

#include "store/store.h"

namespace allmende::ngsi {

// The history of changing `before` into `write` at `now` (epoch ms): one
// instance per attribute instance (by datasetId) that is new or differs in
// any member (value, observedAt, unitCode, sub-attributes, modifiedAt, ...),
// one deletion instance (deletedAt, the NGSI-LD null as value) per instance
// that is gone, the scope as the attribute "scope" when it changed, and the
// entity's record (rewritten by every write, so that history recorded after
// the temporal API deleted an entity's history has its record again).
store::HistoryWrite captureHistory(const std::optional<store::Entity>& before,
                                   const store::EntityWrite& write, int64_t now);

// The HistoryInstance of an attribute instance of the internal form: its time
// is observedAt when it has one, else modifiedAt (else `now`).
store::HistoryInstance historyInstance(std::string_view attribute,
                                       const boost::json::object& instance, int64_t now);

// A deletion instance of `was` (an instance of the internal form, or the scope
// when attribute is "scope") deleted at `now`.
store::HistoryInstance deletionInstance(std::string_view attribute, const boost::json::object& was,
                                        int64_t now);

}  // namespace allmende::ngsi
