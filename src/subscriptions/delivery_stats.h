// What notification delivery reports about itself (for /metrics and logs):
// one row per endpoint (an HTTP origin or an MQTT broker connection), read as
// a snapshot. Counters only grow; `queued` and `queuedBytes` are what waits now.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace allmende::subscriptions {

struct EndpointStats {
  std::string endpoint;      // scheme://host:port (no user or password)
  uint64_t queued = 0;       // notifications waiting now (not yet sent or between retries)
  uint64_t queuedBytes = 0;  // their size
  uint64_t inFlight = 0;     // requests on the wire now
  uint64_t sent = 0;         // requests answered with 2xx (or acknowledged by the MQTT broker)
  uint64_t failed = 0;       // attempts that failed (each retry counts)
  uint64_t retried = 0;      // attempts that were retries of a failed one
  uint64_t coalesced = 0;    // notifications merged into an earlier one of the same subscription
  uint64_t dropped = 0;      // notifications given up (retries exhausted, queue or memory bound, shutdown)
};

struct DeliveryStats {
  std::vector<EndpointStats> endpoints;  // in endpoint order
  uint64_t queuedBytes = 0;              // waiting and in flight, over all endpoints
  uint64_t droppedOverTotal = 0;         // dropped because all queues together held their limit (in no row)
};

}  // namespace allmende::subscriptions
