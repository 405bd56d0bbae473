// A subscription (clause 5.2.12): the checks on what a client sends (a create
// body or a PATCH fragment, with the spec's BadRequestData errors), its stored
// form, its status, and its representation on GET.
//
// Stored form: the members the client set, with the terms of entities[].type,
// watchedAttributes and notification.attributes expanded to IRIs (so that a
// GET compacts them with the reader's @context); everything else as given. q,
// scopeQ, csf and geoQ.geoproperty keep their text and are compiled with the
// @context the subscription was created with. Read-only members a client sends
// (status, notification.timesSent, ...) and unknown members are dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "http/message.h"

#include "jsonld/context.h"

namespace allmende::subscriptions {

namespace json = boost::json;

// What the notifier reports back (clause 5.2.14 NotificationParams, read-only members).
struct NotificationStats {
  uint64_t timesSent = 0;
  uint64_t timesFailed = 0;
  int64_t lastNotificationMs = 0;
  int64_t lastSuccessMs = 0;
  int64_t lastFailureMs = 0;
  uint64_t pending = 0;  // queued or in flight now (not stored: a restart starts with none)
};

// What a subscription watches: entities (clause 5.2.12, /subscriptions), or
// context source registrations (clause 5.2.12 as 5.11 applies it,
// /csourceSubscriptions: notificationTrigger does not apply and is dropped,
// temporalQ selects registrations by their time intervals).
enum class SubscriptionKind { Entities, Registrations };

struct Subscription {
  std::string id;
  SubscriptionKind kind = SubscriptionKind::Entities;
  json::object doc;     // see the stored form above; includes id and type
  json::value context;  // the @context it was created with (null = the core context)
  int64_t createdAtMs = 0;
  int64_t modifiedAtMs = 0;
  NotificationStats stats;
  // Who made it (with authentication on): it notifies only what its owner may
  // read (docs/security.md). Null: made with authentication off.
  std::shared_ptr<const http::Caller> owner;
};

// Checks a create body (without its @context member) and makes the stored
// subscription; generates urn:ngsi-ld:Subscription:<random> when id is absent.
Subscription createSubscription(const json::object& body, const jsonld::Context& ctx, json::value context,
                                int64_t nowMs, SubscriptionKind kind = SubscriptionKind::Entities);

// Applies a PATCH fragment: each member replaces the stored one (notification
// as a whole), null removes an optional member; the result is checked as on create.
void patchSubscription(Subscription& s, const json::object& fragment, const jsonld::Context& ctx, int64_t nowMs);

// "expired" once expiresAt has passed, else "paused" if isActive is false, else "active".
std::string_view statusOf(const Subscription& s, int64_t nowMs);

// The GET representation, terms compacted with ctx; createdAt/modifiedAt with sysAttrs.
json::object renderSubscription(const Subscription& s, const jsonld::Context& ctx, bool sysAttrs, int64_t nowMs);

std::string serializeSubscription(const Subscription& s);
Subscription parseStoredSubscription(std::string_view id, std::string_view document,
                                     SubscriptionKind kind = SubscriptionKind::Entities);

// The query text of a q, scopeQ or csf member, percent-decoded as in a query
// string ("name==%22a%20b%22" is name=="a b"); a '%' not followed by two hex
// digits stays as it is.
std::string queryText(std::string_view member);

// Rewrites each name of a type expression ("A,B", "(A;B)|C") with fn.
std::string mapTypeNames(std::string_view expression, const std::function<std::string(std::string_view)>& fn);

}  // namespace allmende::subscriptions
