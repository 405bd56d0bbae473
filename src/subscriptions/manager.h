// The broker's subscriptions: kept per tenant in memory and in the store,
// compiled for matching, and fed every entity change by the write path
// (the store's watcher). A change that a subscription notifies becomes a
// notification job for Delivery; the request that caused it never waits.
// Subscriptions with a timeInterval are notified by a ticker thread instead,
// every interval, with all entities they select. A change is matched only
// against the subscriptions that may select its entity's id or types.
// Notification statistics (and what is pending) are updated as delivery
// reports outcomes, and stored with the subscription when it is next written
// and when the broker stops. With several brokers on one store, each broker
// holds every subscription and notifies those the store says it notifies
// (their leases). A subscription with an owner notifies only what
// its owner may read now (auth/access.h): entities it may not read count as
// absent, attributes hidden from it are left out.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <condition_variable>
#include <vector>

#include "auth/access.h"
#include "jsonld/context_registry.h"
#include "store/store.h"
#include "subscriptions/matcher.h"
#include "subscriptions/notification.h"
#include "subscriptions/delivery.h"
#include "subscriptions/subscription.h"

namespace allmende::subscriptions {

class Manager {
 public:
  // Loads the stored subscriptions. Notifications are delivered on `io`, the
  // broker's event loop (see Delivery).
  Manager(store::Store& store, jsonld::ContextRegistry& contexts, boost::asio::io_context& io,
          DeliveryOptions options);
  ~Manager();

  // Throws AlreadyExists, or LdContextNotAvailable when its @context or jsonldContext cannot be loaded.
  void create(std::string_view tenant, Subscription s);
  // Throw ResourceNotFound for an unknown id.
  Subscription get(std::string_view tenant, std::string_view id) const;
  void update(std::string_view tenant, std::string_view id, const std::function<void(Subscription&)>& change);
  void remove(std::string_view tenant, std::string_view id);
  // The tenant's subscriptions in id order.
  std::vector<Subscription> list(std::string_view tenant) const;

  // The store's watcher of entity changes (store::Store::Watchers): the change
  // goes to the subscriptions this broker notifies (store::Store::notifies),
  // or to `only` alone.
  void onChange(std::string_view tenant, const store::Store::Change& change, const std::string* only = nullptr);
  // A subscription another broker sharing the store created, changed
  // (`document`: its stored form) or deleted (nullopt). The statistics of one
  // this broker notifies stay its own.
  void reload(const std::string& tenant, const std::string& id, const std::optional<std::string>& document);

  // Notifies subscription `id` of these changes (entities in the internal
  // form: `after` as they are, or only `before` for a deleted one), each only
  // if the subscription selects the entity (what a context source notified to
  // a copy of it, 5.8.6); nothing while it is paused or expired. False for an
  // unknown subscription.
  bool notifyWith(std::string_view tenant, std::string_view id, const std::vector<store::Store::Change>& changes);

  // What notification delivery holds and has done, per endpoint, as a snapshot (for /metrics).
  DeliveryStats deliveryStats() const;

  // Registration subscriptions (federation/registration_subscriptions.h) send
  // their notifications through the same delivery; their outcomes go to the
  // report set here (an empty one drops them: set it so before it goes away).
  void deliver(Delivery::Job job);
  // Nothing more goes out for a deleted subscription of either kind.
  void forget(std::string tenant, std::string subscriptionId, SubscriptionKind kind);
  void setRegistrationReport(std::function<void(const Outcome&)> report);

  // How to know what a subscription's owner may read in a tenant (set at
  // start, before serving, when authentication is on).
  using OwnerAccess = std::function<std::shared_ptr<const auth::Access>(std::string_view tenant, const http::Caller& owner)>;
  void setOwnerAccess(OwnerAccess access) { ownerAccess_ = std::move(access); }

 private:
  struct Compiled {
    Matcher matcher;
    NotificationShape shape;
  };
  struct Entry {
    Subscription sub;
    std::shared_ptr<const Compiled> compiled;  // null if its @context could not be loaded at start
    int64_t lastQueuedMs = 0;                  // for throttling
    int64_t nextDueMs = 0;                     // for timeInterval
  };
  // Which subscriptions of a tenant an entity may concern: by its id (subscriptions
  // that name ids), else by its types.
  struct TypeIndex {
    std::map<std::string, std::set<std::string>, std::less<>> byId;    // entity id -> subscription ids
    std::map<std::string, std::set<std::string>, std::less<>> byType;  // type IRI -> subscription ids
    std::set<std::string> anyType;                                    // no id or type required
  };
  std::shared_ptr<const Compiled> compile(const Subscription& s);
  // What the subscription's owner may read in the tenant (everything without an owner).
  std::shared_ptr<const auth::Access> ownerAccess(std::string_view tenant, const Subscription& s) const;
  void index(const std::string& tenant, const std::string& id, const Compiled* compiled, bool add);
  void report(const Outcome& outcome);
  void tick();
  void notifyPeriodically(const std::string& tenant, const std::string& id, const Compiled& compiled,
                          const auth::Access& access, int64_t nowMs);

  store::Store& store_;
  jsonld::ContextRegistry& contexts_;
  std::mutex writeMutex_;  // one create/update/remove at a time: no PATCH is lost to another
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, Entry, std::less<>>, std::less<>> tenants_;
  std::map<std::string, TypeIndex, std::less<>> typeIndex_;  // per tenant
  std::function<void(const Outcome&)> registrationReport_;  // under mutex_
  OwnerAccess ownerAccess_;
  std::unique_ptr<Delivery> delivery_;
  std::mutex tickerMutex_;
  std::condition_variable tickerWake_;
  bool stopping_ = false;
  std::thread ticker_;  // last: stopped first
};

}  // namespace allmende::subscriptions
