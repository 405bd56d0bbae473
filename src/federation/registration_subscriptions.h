// Registration subscriptions (clause 5.11, /csourceSubscriptions): kept per
// tenant in memory and in the store (DocumentKind::RegistrationSubscription),
// compiled into discovery queries (federation/registration_query.h), and fed
// every registration change by the Registry. A ContextSourceNotification
// (clause 5.3.2) goes out, through the broker's notification delivery
// (subscriptions::Manager::deliver):
// - when a subscription is created or updated: every registration it matches
//   now (newlyMatching), if any;
// - when a registration is created, updated, deleted or expires: that
//   registration, as newlyMatching, updated or noLongerMatching;
// - with timeInterval: every registration it matches, every interval.
// A registration in a notification carries only the RegistrationInfos the
// subscription matched, compacted with the subscription's @context.
// Thread-safe: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "federation/registration_query.h"
#include "federation/registry.h"
#include "jsonld/context_registry.h"
#include "store/store.h"
#include "subscriptions/manager.h"
#include "subscriptions/subscription.h"

namespace allmende::federation {

using subscriptions::Subscription;

class RegistrationSubscriptions {
 public:
  // Loads the stored registration subscriptions and listens to `registry`.
  RegistrationSubscriptions(store::Store& store, jsonld::ContextRegistry& contexts,
                            Registry& registry, subscriptions::Manager& delivery);
  ~RegistrationSubscriptions();

  // Throws AlreadyExists, or LdContextNotAvailable when its @context cannot be loaded.
  void create(const std::string& tenant, Subscription s);
  // Throw ResourceNotFound for an unknown id.
  Subscription get(const std::string& tenant, std::string_view id) const;
  void update(const std::string& tenant, std::string_view id,
              const std::function<void(Subscription&)>& change);
  void remove(const std::string& tenant, std::string_view id);
  // The tenant's registration subscriptions in id order.
  std::vector<Subscription> list(const std::string& tenant) const;
  // One another broker sharing the store created, changed (its stored form)
  // or deleted (nullopt).
  void reload(const std::string& tenant, const std::string& id, const std::optional<std::string>& document);

 private:
  struct Compiled {
    std::vector<RegistrationQuery>
        selectors;  // one per entities[] member (or one without entities)
    subscriptions::NotificationShape shape;
    int64_t intervalMs = 0;  // timeInterval
  };
  struct Entry {
    Subscription sub;
    std::shared_ptr<const Compiled> compiled;  // null if its @context could not be loaded at start
    int64_t nextDueMs = 0;
  };
  std::shared_ptr<const Compiled> compile(const Subscription& s);
  void onChange(const std::string& tenant, const Registration* before, const Registration* after);
  // Sends every registration the subscription matches now (nothing if none does).
  void notifyAll(const std::string& tenant, const std::string& id, const Compiled& compiled,
                 std::string_view reason);
  void tick();

  store::Store& store_;
  jsonld::ContextRegistry& contexts_;
  Registry& registry_;
  subscriptions::Manager& delivery_;
  std::mutex writeMutex_;  // one create/update/remove at a time
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, Entry, std::less<>>, std::less<>> tenants_;
  std::mutex tickerMutex_;
  std::condition_variable tickerWake_;
  bool stopping_ = false;
  std::thread ticker_;  // last: stopped first
};

}  // namespace allmende::federation
