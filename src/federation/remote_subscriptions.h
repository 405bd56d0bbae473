// Distributed subscriptions (clause 5.8.1.4, 5.8.5.4, 5.8.6; docs/federation.md):
// a subscription made here is copied to the context sources registered for
// createSubscription that may hold what it watches. Each copy notifies this
// broker, which notifies the subscriber under the local subscription's id.
// RemoteCopies keeps which copies exist (in memory and in the store,
// DocumentKind::RemoteSubscription): their id at the source, the local
// subscription, the registration and where the source is. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "store/store.h"
#include "subscriptions/subscription.h"

namespace allmende::federation {

struct RemoteCopy {
  std::string id;              // its id at the source: urn:ngsi-ld:Subscription:distsub-<random>
  std::string tenant;          // of the local subscription
  std::string subscriptionId;  // the local subscription
  std::string registrationId;  // the registration it was made for
  std::string base;            // the source's {endpoint}/ngsi-ld/v1 (to delete it when the registration is gone)
  std::string sourceTenant;    // the registration's tenant at the source ("" = the default tenant)
};

class RemoteCopies {
 public:
  explicit RemoteCopies(store::Store& store);
  void add(const RemoteCopy& copy);
  std::optional<RemoteCopy> find(std::string_view id) const;
  // The copies of a local subscription.
  std::vector<RemoteCopy> of(std::string_view tenant, std::string_view subscriptionId) const;
  void remove(const RemoteCopy& copy);
  // A copy another broker sharing the store recorded (its stored form) or removed (nullopt).
  void reload(const std::string& tenant, const std::string& id, const std::optional<std::string>& document);

 private:
  store::Store& store_;
  mutable std::mutex mutex_;
  std::map<std::string, RemoteCopy, std::less<>> byId_;
};

// A new copy id; it names the copy as one ("distsub") at the source.
std::string newCopyId();

// The id of the registration subscription that finds the sources of a local
// subscription (5.8.1.4), and back.
std::string watchId(std::string_view subscriptionId);
std::optional<std::string> watchedSubscription(std::string_view watchId);

// The reduced copy of a subscription for a source (5.8.1.4): what it watches
// (entities, watchedAttributes, q unless splitEntities, geoQ, scopeQ,
// notificationTrigger, isActive, expiresAt, throttling, timeInterval,
// datasetId, lang, splitEntities; names as IRIs), notifying `endpoint` (its
// notification.endpoint: uri, accept, receiverInfo) in the normalized form;
// with its id when `copyId` is given (a create), without (a PATCH). The watched
// attributes are narrowed to `attributes` (IRIs: what the source's
// registration names; empty: any), but for a periodic one.
boost::json::object reducedCopy(const subscriptions::Subscription& s, const std::string& copyId,
                                const boost::json::object& endpoint, const std::set<std::string>& attributes);

// The registration subscription that watches the sources of s: the same
// entities and watchedAttributes, notifying `endpoint`.
boost::json::object watchSubscription(const subscriptions::Subscription& s, const boost::json::object& endpoint);

}  // namespace allmende::federation
