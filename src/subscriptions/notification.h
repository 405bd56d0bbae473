// The notification for one entity change (clause 5.3.1 Notification): which
// request goes to the endpoint, in the representation the subscription asks
// for (format, attributes, pick, omit, join, sysAttrs, datasetId, lang; application/json with a
// Link header or application/ld+json with @context per entity). Deleted
// attributes appear with the NGSI-LD null; a deleted entity as id, type and
// deletedAt. With showChanges, changed attributes carry their previous value.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "jsonld/context.h"
#include "ngsi/linked_render.h"
#include "ngsi/render.h"
#include "store/store.h"
#include "subscriptions/subscription.h"

namespace allmende::subscriptions {

// How a subscription's notifications look, compiled once per create/update.
struct NotificationShape {
  std::string endpoint;                                      // endpoint.uri
  std::string accept = "application/json";                   // endpoint.accept
  std::vector<std::pair<std::string, std::string>> headers;  // endpoint.receiverInfo
  int mqttQos = 0;     // endpoint.notifierInfo MQTT-QoS
  bool mqtt5 = false;  // endpoint.notifierInfo MQTT-Version mqtt5.0
  jsonld::ContextPtr ctx;        // compacts the data (jsonldContext or the subscription's @context)
  boost::json::value contextValue;  // what the data carries as @context / in the Link header
  std::string format = "normalized";
  bool sysAttrs = false;
  bool showChanges = false;  // previousValue (previousObject, ...) on changed attributes
  ngsi::Join join;           // join, joinLevel: linked entities inline or listed (flat)
  std::optional<std::set<std::string>> attributes;  // expanded IRIs
  std::optional<ngsi::Projection> pick, omit;       // names compacted with ctx
  std::optional<std::set<std::string>> datasetIds;
  std::optional<std::string> lang;
  std::set<std::string> watched;  // expanded IRIs; deleted ones are shown on entity deletion
};

// ctx compacts the data; subscriptionCtx (the @context the subscription was
// made with) expands its names.
NotificationShape compileShape(const Subscription& s, jsonld::ContextPtr ctx, boost::json::value contextValue,
                               const jsonld::Context& subscriptionCtx);

// A notification ready to send. Its entities are kept serialized apart from
// the envelope, so that later notifications of the same subscription can be
// appended to it (coalesced) while it waits, and the envelope (notifiedAt) is
// made when it leaves.
struct NotificationRequest {
  // A Notification of entities (clause 5.3.1), or a ContextSourceNotification
  // of registrations (clause 5.3.2) with its triggerReason.
  SubscriptionKind kind = SubscriptionKind::Entities;
  std::string triggerReason;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // for MQTT: the message's metadata
  int mqttQos = 0;
  bool mqtt5 = false;
  std::string id;              // urn:ngsi-ld:Notification:<random>
  std::string subscriptionId;
  std::string geoContext;      // geo+json: the FeatureCollection's @context, serialized; else empty
  std::string entities;        // the data's elements, serialized and comma-separated
  size_t count = 0;            // how many elements

  // The body as sent at nowMs.
  std::string body(int64_t nowMs) const;
  // Appends the data of a later notification of the same subscription (and trigger reason).
  void append(const NotificationRequest& later);
  // Roughly what it holds in memory.
  size_t bytes() const { return url.size() + entities.size() + geoContext.size() + 256; }
};

// The notification's data for one change: the changed entity as the shape asks
// (a Feature for geo+json), and with join=flat the entities it links to
// (read through `read`).
boost::json::array renderChange(const NotificationShape& shape, const store::Store::Change& change, int64_t nowMs,
                                const ngsi::EntityReader& read);

// The notification of `data` (its envelope is made when it is sent); a
// registration subscription's names the triggerReason.
NotificationRequest buildNotification(const NotificationShape& shape, std::string_view subscriptionId,
                                      boost::json::array data, std::string_view triggerReason = {});

}  // namespace allmende::subscriptions
