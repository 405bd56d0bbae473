// A subscription compiled for matching (clause 5.8.1, 5.8.6): which entity
// changes trigger a notification, given its entities, watchedAttributes,
// notificationTrigger, q, scopeQ and geoQ, isActive, expiresAt. Built once per
// create/update, used on every write without parsing anything.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "jsonld/context.h"
#include "query/entity_selector.h"
#include "query/q.h"
#include "store/store.h"
#include "subscriptions/subscription.h"

namespace allmende::subscriptions {

enum Trigger : unsigned {
  EntityCreated = 1,
  EntityUpdated = 2,
  EntityDeleted = 4,
  AttributeCreated = 8,
  AttributeUpdated = 16,
  AttributeDeleted = 32,
};

struct Matcher {
  std::vector<query::EntitySelector> selectors;  // any of; empty = any entity
  std::set<std::string> watched;                 // attribute IRIs; empty = all
  unsigned triggers = AttributeCreated | AttributeUpdated;
  query::ExprPtr q, scopeQ;
  std::optional<query::GeoQuery> geo;
  bool active = true;
  int64_t expiresAtMs = 0;   // 0 = never
  int64_t throttlingMs = 0;  // 0 = none
  int64_t intervalMs = 0;    // timeInterval: notified periodically, not on changes
};

// Compiles s with ctx (the @context it was created with).
Matcher compileMatcher(const Subscription& s, const jsonld::Context& ctx);

// Entity types one of which an entity must have for the subscription to
// select it (the first type of each group of its type selections); empty if
// any entity may be selected. Lets the manager skip subscriptions by type.
std::vector<std::string> requiredTypes(const Matcher& m);

// The entity ids one of which an entity must have for the subscription to
// select it (when every selector names ids); empty otherwise. Lets the manager
// find subscriptions to single entities without testing the others.
std::vector<std::string> requiredIds(const Matcher& m);

// True if the subscription is active and not expired at nowMs.
bool live(const Matcher& m, int64_t nowMs);

// True if the entity is one the subscription is about (selectors, q, scopeQ,
// geoQ); q terms on linked entities (rel{attr}) read them through `linked`.
bool selects(const Matcher& m, const store::Entity& entity, int64_t nowMs, const query::EntityResolver& linked);

// True if the change (before/after of one entity) is notified by the subscription at nowMs.
bool triggers(const Matcher& m, const store::Store::Change& change, int64_t nowMs,
              const query::EntityResolver& linked);

}  // namespace allmende::subscriptions
