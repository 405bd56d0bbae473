// The one write path of the broker: every change to an entity, whatever API
// caused it (entity endpoints, batch operations, expiry), goes through
// WritePath::apply, which runs the mutation atomically in the store (whose
// watchers then learn of the change: subscriptions). Inside the store's atomic
// step it records the change's attribute history (ngsi/history_capture.h) in
// the same batch, unless history is off. It also holds what every stored
// entity must respect: at most maxAttributes attribute instances (see
// attributeCount in ngsi/entity.h).
// Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace allmende::ngsi {

// On whose behalf a change is made. `check`, when set, runs inside the
// store's atomic step on the entity's state before and after the change
// (null: absent; a no-op passes the unchanged state as both) and throws to
// refuse that entity's change (authorization, auth/access.h). `audit`, when
// set, says who makes the change (subject, client, request id) for the audit
// trail: each change then records its audit record (ngsi/audit_capture.h) in
// the same durable batch. The broker's own changes (expiry) have an empty Author.
struct Author {
  std::function<void(std::string_view id, const store::Entity* before, const store::Entity* after)> check;
  std::optional<store::AuditRecord> audit;
};

class WritePath {
 public:
  // maxAttributes bounds the attribute instances of an entity (--max-attributes);
  // history = false records no history at all (--history off).
  explicit WritePath(store::Store& store, size_t maxAttributes = 1000, bool history = true)
      : store_(store), maxAttributes_(maxAttributes), history_(history) {}

  // True if writes record history.
  bool recordsHistory() const { return history_; }

  // Applies the mutations to entities of `tenant` in one durable batch (see
  // Store::modifyEntities; the store tells its watchers of each change).
  // A mutation that would leave its entity with more than maxAttributes
  // attribute instances (and more than it had) fails with BadRequestData and
  // writes nothing; an entity stored under a larger limit may still shrink.
  std::vector<store::Store::Outcome> applyAll(std::string_view tenant, const Author& author,
                                              std::vector<store::Store::Mutation> mutations);

  // One mutation (rethrows what the mutator threw).
  store::Store::Change apply(std::string_view tenant, const Author& author, std::string_view id,
                             store::Store::Mutator mutator) {
    std::vector<store::Store::Mutation> one;
    one.push_back({std::string(id), std::move(mutator)});  // moved: a mutator may hold a whole entity
    auto outcomes = applyAll(tenant, author, std::move(one));
    if (outcomes[0].error) std::rethrow_exception(outcomes[0].error);
    return std::move(outcomes[0].change);
  }

 private:
  // Throws BadRequestData if `after` breaks the attribute bound (see applyAll).
  void checkBounds(const std::optional<store::Entity>& before, const store::Entity& after) const;

  store::Store& store_;
  size_t maxAttributes_;
  bool history_;
};

}  // namespace allmende::ngsi
