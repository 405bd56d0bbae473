// The one write path of the broker: every change to an entity, whatever API
// caused it (entity endpoints, batch operations, expiry), goes through
// WritePath::apply, which runs the mutation atomically in the store and then
// hands the change to the listeners (subscriptions and history, later).
// Thread-safe; listeners are registered at start, before serving.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace allmende::ngsi {

class WritePath {
 public:
  using Listener = std::function<void(std::string_view tenant, const store::Store::Change& change)>;

  explicit WritePath(store::Store& store) : store_(store) {}

  // Registers a listener called after each durable change (not for no-ops). The
  // change is valid only during the call (see Store::Change).
  void addListener(Listener listener) { listeners_.push_back(std::move(listener)); }

  // Applies the mutations to entities of `tenant` in one durable batch (see
  // Store::modifyEntities), then tells the listeners about each change written.
  std::vector<store::Store::Outcome> applyAll(std::string_view tenant,
                                              const std::vector<store::Store::Mutation>& mutations) {
    auto outcomes = store_.modifyEntities(tenant, mutations);
    for (const auto& o : outcomes)
      if (o.change.written)
        for (const auto& listener : listeners_) listener(tenant, o.change);
    return outcomes;
  }

  // One mutation (rethrows what the mutator threw).
  store::Store::Change apply(std::string_view tenant, std::string_view id,
                             const store::Store::Mutator& mutator) {
    auto outcomes = applyAll(tenant, {store::Store::Mutation{std::string(id), mutator}});
    if (outcomes[0].error) std::rethrow_exception(outcomes[0].error);
    return std::move(outcomes[0].change);
  }

 private:
  store::Store& store_;
  std::vector<Listener> listeners_;
};

}  // namespace allmende::ngsi
