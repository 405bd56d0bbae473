// The notifications waiting for one endpoint. They are kept per subscription:
// a subscription has at most one notification in flight, so its notifications
// arrive in the order they were made, while other subscriptions to the same
// endpoint go ahead on other connections. Subscriptions take turns (round
// robin). When a subscription has fallen behind (coalesceAt or more waiting),
// the notification that leaves carries the data of the ones behind it too
// (coalesced, as clause 5.3.1's data array allows; those with one
// triggerReason), up to a size. A failed
// notification that is retried goes back in front of its subscription's queue.
// Not thread-safe: used on the delivery's event loop only.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "subscriptions/notification.h"

namespace allmende::subscriptions {

struct Pending {
  std::string tenant;
  std::string subscriptionId;
  NotificationRequest request;
  size_t notifications = 1;  // more when later ones were merged into it
  int attempts = 0;        // failed attempts so far
  int64_t queuedAtMs = 0;  // when its oldest part was made
  size_t bytes = 0;        // what it holds, for the memory bounds
};

struct QueueLimits {
  size_t maxBytes = 16 * 1024 * 1024;      // waiting for the endpoint, together
  size_t coalesceAt = 8;                   // waiting notifications of one subscription that are merged
  size_t maxEntities = 1000;               // in one merged notification
  size_t maxMergedBytes = 1024 * 1024;     // of one merged notification's data
};

class EndpointQueue {
 public:
  explicit EndpointQueue(QueueLimits limits) : limits_(limits) {}

  // Queues p behind its subscription's earlier ones; false (p left as it is)
  // if the endpoint's bound would be exceeded.
  bool push(Pending&& p);
  // The next notification to send, from the first subscription whose turn it
  // is and that has none in flight; `coalesced` tells how many later ones were
  // merged into it. The subscription is in flight until finish().
  std::optional<Pending> take(size_t& coalesced);
  // Ends the flight of p's subscription; with `retry`, p goes back in front of
  // its queue (true), unless the subscription was forgotten meanwhile (false).
  bool finish(Pending p, bool retry);
  // Removes and returns everything waiting (not what is in flight).
  std::vector<Pending> drain();
  // Removes and returns what waits for that subscription (a deleted one); its
  // notification in flight, if any, is not retried.
  std::vector<Pending> forget(const std::string& tenant, const std::string& subscriptionId, SubscriptionKind kind);

  size_t queued() const { return queued_; }
  size_t bytes() const { return bytes_; }

 private:
  struct Sub {
    std::deque<Pending> items;
    bool inFlight = false;
    bool ready = false;  // in ready_
    bool forgotten = false;
  };
  static std::string keyOf(const std::string& tenant, const std::string& id, SubscriptionKind kind) {
    return tenant + (kind == SubscriptionKind::Entities ? "\nE\n" : "\nR\n") + id;
  }
  static std::string keyOf(const Pending& p) { return keyOf(p.tenant, p.subscriptionId, p.request.kind); }
  void markReady(const std::string& key, Sub& sub);

  QueueLimits limits_;
  std::unordered_map<std::string, Sub> subs_;
  std::deque<std::string> ready_;  // subscriptions with waiting notifications and none in flight
  size_t queued_ = 0;
  size_t bytes_ = 0;
};

}  // namespace allmende::subscriptions
