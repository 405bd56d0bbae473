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

  // Registers a listener called after each durable change (not for no-ops).
  void addListener(Listener listener) { listeners_.push_back(std::move(listener)); }

  // Applies mutator to entity `id` of `tenant` (see Store::modifyEntity).
  store::Store::Change apply(std::string_view tenant, std::string_view id,
                             const store::Store::Mutator& mutator) {
    auto change = store_.modifyEntity(tenant, id, mutator);
    if (change.written)
      for (const auto& listener : listeners_) listener(tenant, change);
    return change;
  }

 private:
  store::Store& store_;
  std::vector<Listener> listeners_;
};

}  // namespace allmende::ngsi
