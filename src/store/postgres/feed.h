// Several brokers on one database: what each learns of the others' writes,
// and which of them sends the notifications of each subscription.
//
// Entity changes. A write in a tenant with subscriptions (leases: what the
// database holds when the write commits, not what a broker has heard of yet)
// records each change (the entity before and after) in the changes table and
// NOTIFYs its transaction's id, in the same transaction. Every broker LISTENs on a
// connection of its own, reads the changes of each transaction in the order
// the notifications come (commit order) and hands them to its subscriptions
// (Store::Watchers::entityChanged): every broker sees each change once, its
// own writes' too.
//
// Leases. A broker sends the notifications of the subscriptions (of entities,
// and of registrations) whose lease it holds (a row of the leases table): it
// takes the lease of a subscription it creates, renews its leases every
// second for kLeaseSeconds (writing the last change it has seen as their
// cursor), and takes every lease that expired, because its holder died or
// stopped; it then replays the changes after the lease's cursor to that
// subscription alone (one of entities). A broker that stops gives its leases
// up at once.
//
// Documents, contexts, tenants. A broker that puts or deletes a document or a
// hosted @context, or drops a tenant, NOTIFYs it, tagged with its origin (a
// random id of the process); the other brokers read the document anew and
// hand it to their registries (documentChanged, contextChanged).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "store/postgres/connection.h"
#include "store/store.h"

namespace allmende::store::pg {

class Feed {
 public:
  // How long a lease lasts unless renewed: a dead broker's subscriptions are
  // taken over within this and a second.
  static constexpr int kLeaseSeconds = 5;

  // `tenantDropped` is told of a tenant another broker dropped.
  Feed(std::string conninfo, std::function<void(const std::string& tenant)> tenantDropped);
  ~Feed();

  // Starts feeding the watchers, on the feed's own thread; watchers without
  // entityChanged stop it. This broker's leases are given up when the feed
  // is destroyed (the subscriptions' last statistics are stored before).
  void watch(Store::Watchers watchers);

  // Adds to a write's transaction: its changes (the entities before and after,
  // null where absent) and their NOTIFY, if the tenant has subscriptions.
  void addChanges(Batch& batch, std::string_view tenant, const std::vector<std::string_view>& ids,
                  const std::vector<const Entity*>& before,
                  const std::vector<const Entity*>& after) const;
  // Adds the NOTIFY of a document (or context, or dropped tenant) written in the batch's
  // transaction.
  void addDocumentNotice(Batch& batch, DocumentKind kind, std::string_view tenant,
                         std::string_view id) const;
  void addContextNotice(Batch& batch, std::string_view id) const;
  void addTenantNotice(Batch& batch, std::string_view tenant) const;
  // Whether documents of the kind have leases (subscriptions of entities and of registrations).
  static bool leased(DocumentKind kind);
  // Adds the lease of a subscription this broker creates (nothing when it has
  // one); holdIfTaken records it once the transaction committed.
  void addLease(Batch& batch, DocumentKind kind, std::string_view tenant,
                std::string_view subscription) const;
  void holdIfTaken(const Result& leaseInsert, DocumentKind kind, std::string_view tenant,
                   std::string_view subscription);
  // A deleted subscription's lease.
  void addLeaseRemoval(Batch& batch, DocumentKind kind, std::string_view tenant,
                       std::string_view subscription);

  // Whether this broker holds the subscription's lease (and, on the feed's
  // thread, had not replayed the change being fed to it already).
  bool holds(DocumentKind kind, std::string_view tenant, std::string_view subscription) const;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // tenant, kind, subscription
  struct Held {
    std::chrono::steady_clock::time_point since;
    std::set<int64_t> replayed;  // changes replayed to it when it was taken
  };
  void run();
  void feed(Connection& c, const Connection::Notification& n);
  // Hands the changes a statement read (seq, tenant, id, before, after) to
  // the watchers: all of them, or one subscription's (`only`).
  void feedRows(const Result& rows, const std::string* only);
  void renew(Connection& c);
  void giveUp(Connection& c);

  std::string conninfo_;
  std::string origin_;
  std::function<void(const std::string&)> tenantDropped_;
  Store::Watchers watchers_;  // set before the thread starts
  std::atomic<bool> stopping_ = false;
  std::atomic<int64_t> lastSeq_ = 0;  // the last change fed
  mutable std::mutex mutex_;
  std::map<Key, Held, std::less<>> held_;
  std::thread thread_;
};

}  // namespace allmende::store::pg
