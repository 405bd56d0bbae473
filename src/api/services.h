// What the api layer works with: the store, the write path, the @context
// registry, the subscriptions, the context source registrations and
// their subscriptions, the EntityMaps, the snapshots, the broker's settings and what GET /metrics
// reports. Built once in main.cpp; shared by all I/O threads (each member is
// thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "api/entity_map_registry.h"
#include "jsonld/context_registry.h"
#include "ngsi/write_path.h"
#include "snapshots/registry.h"
#include "store/store.h"
#include "subscriptions/delivery_stats.h"

namespace allmende::http {
class RequestMetrics;
}
namespace allmende::subscriptions {
class Manager;
}
namespace allmende::auth {
class ApiKeys;
class Authenticator;
class Policy;
}
namespace allmende::federation {
class Forwarder;
class Registry;
class RegistrationSubscriptions;
class RemoteCopies;
}

namespace allmende::api {

struct BrokerInfo {
  std::string brokerId;  // urn:ngsi-ld:ContextSource:<random>, made once per data directory
  std::string alias;     // its contextSourceAlias and its name in Via headers (a token)
  std::string publicUrl;  // --public-url: how context sources reach it ("" = as the client did: its Host header)
  std::string version;
  std::string revision;
  int64_t startedAtMs = 0;
};

struct Limits {
  size_t defaultLimit = 20;    // page size when a query gives no limit
  size_t maxLimit = 1000;      // larger limits are TooManyResults
  size_t maxBatch = 1000;      // entities in one batch operation
  size_t maxNesting = 32;      // depth of arrays and objects in a request body
  size_t temporalInstances = 10000;  // instances of one entity in a temporal answer (6.3.10)
  size_t snapshotEntities = 100000;  // entities one snapshot may hold
  // What one request may spend examining candidates (0 = no bound), and the
  // largest response body (JSON text).
  std::chrono::milliseconds requestTime{10000};
  size_t maxResponseBytes = 64 * 1024 * 1024;
};

struct Services {
  store::Store& store;
  ngsi::WritePath& writes;
  jsonld::ContextRegistry& contexts;
  subscriptions::Manager& subscriptions;
  federation::Registry& registrations;
  federation::RegistrationSubscriptions& registrationSubscriptions;
  federation::Forwarder& forwarder;  // distributed operations
  federation::RemoteCopies& remoteCopies;  // distributed subscriptions
  EntityMapRegistry& entityMaps;
  snapshots::Registry& snapshots;
  BrokerInfo info;
  Limits limits;
  http::RequestMetrics& requestMetrics;  // the route families are registered with the routes
  std::function<subscriptions::DeliveryStats()> deliveryStats;
  auth::ApiKeys& apiKeys;
  auth::Policy& policy;  // access grants (in force only with authentication on)
  const auth::Authenticator* authenticator = nullptr;  // null: authentication is off
  bool audit = false;  // --audit on: writes and admin actions are recorded in the audit trail
  // With authentication on: what context sources send to notify this broker
  // (api/distributed_subscriptions.h); empty with authentication off.
  std::string notificationKey = {};
};

}  // namespace allmende::api
