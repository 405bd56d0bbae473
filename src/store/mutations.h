// The mutators of one Store::modifyEntities call (store.h), run the way every
// store runs them: in order, each on its entity's current state (as stored,
// or as an earlier mutation of the same call left it), a mutator that throws
// leaving its entity unchanged. What the stores differ in, reading and
// writing, stays with them.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "store/store.h"

namespace allmende::store {

struct MutationResult {
  std::vector<size_t> written;  // the mutations that wrote, in order
  std::vector<size_t> last;     // of those, the last one of each id (its entity's final state)
  std::vector<std::pair<size_t, HistoryWrite>> histories;  // the mutation, what it records
  std::vector<AuditRecord> audits;
};

// Fills `out` (one outcome per mutation). `stored(i)` gives the stored state
// of mutation i's entity (nullopt: none); it is asked for each mutation whose
// id no earlier mutation of the call wrote.
MutationResult runMutators(const std::vector<Store::Mutation>& mutations,
                           std::vector<Store::Outcome>& out,
                           const std::function<std::optional<Entity>(size_t)>& stored);

}  // namespace allmende::store
