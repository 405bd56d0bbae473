// Delivers notifications off the request path, on the broker's event loop
// (the io_context the HTTP server runs), in handlers that never block and run
// one at a time (a strand): HTTP(S) requests through AsyncClient, MQTT
// messages through MqttConnection. A request handler hands a notification
// over without a thread switch; with one I/O thread, without a lock.
//
// Each endpoint (an HTTP origin, or an MQTT broker with its user and protocol)
// has its own queue (EndpointQueue: per subscription, in order, coalesced when
// a subscription falls behind), its own connections (up to
// connectionsPerEndpoint requests in flight, kept open between requests) and
// its own retry state: a failed attempt (no answer, timeout, 5xx, 408, 429) is
// retried after an exponential backoff with jitter, during which the endpoint
// sends nothing, up to maxRetries times, then the notification is dropped. So a
// slow, hanging or refusing receiver delays only its own notifications.
// Memory is bounded per endpoint and in total; a notification beyond a bound
// is dropped. Every attempt and every drop is reported to the owner, which
// keeps the subscriptions' statistics.
//
// Thread-safe: send() and stats() may be called from any thread. The
// destructor runs the event loop itself (after the server stopped running it)
// for the grace period; the loop must not run again after it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "subscriptions/delivery_stats.h"
#include "subscriptions/endpoint_queue.h"
#include "subscriptions/notification.h"

namespace allmende::subscriptions {

struct DeliveryOptions {
  std::chrono::milliseconds timeout{5000};     // per attempt, from connecting to the last byte of the answer
  size_t connectionsPerEndpoint = 4;           // requests in flight to one endpoint
  int maxRetries = 5;                          // attempts after the first
  std::chrono::milliseconds retryBase{500};    // backoff after the first failure, doubled after each further one
  std::chrono::milliseconds retryMax{60000};   // longest backoff
  size_t totalBytes = 256 * 1024 * 1024;       // waiting and in flight, over all endpoints
  QueueLimits queue;                           // per endpoint
  std::chrono::milliseconds grace{5000};       // what is pending may still go out on shutdown
};

struct Outcome {
  enum Kind {
    Sent,     // an attempt answered with 2xx (or acknowledged by the MQTT broker)
    Failed,   // an attempt that failed (it may be retried)
    Dropped,  // given up without a further attempt: a bound was exceeded or the broker stops
  } kind;
  std::string_view tenant, subscriptionId;
  SubscriptionKind subscriptionKind;  // whose: an entity subscription's or a registration subscription's
  size_t settled = 0;  // notifications that are no longer pending after it (sent, or given up)
  int64_t atMs = 0;
};

// Counts an outcome in its subscription's statistics.
void record(NotificationStats& stats, const Outcome& outcome);

class Delivery {
 public:
  struct Job {
    std::string tenant;
    std::string subscriptionId;
    NotificationRequest request;
  };
  // Called on the event loop (or, for a drop at the total bound, in send()) for every outcome.
  using Report = std::function<void(const Outcome&)>;

  Delivery(boost::asio::io_context& io, DeliveryOptions options, Report report);
  // Gives what is pending up to options.grace to go out, then drops the rest.
  // Runs `io` meanwhile: no other thread may be running it.
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  void send(Job job);
  // Drops what waits for a deleted subscription and retries nothing of it.
  void forget(std::string tenant, std::string subscriptionId, SubscriptionKind kind);
  // A snapshot; never waits for the event loop.
  DeliveryStats stats() const;

  struct Loop;  // defined in delivery.cpp

 private:
  std::unique_ptr<Loop> loop_;
};

}  // namespace allmende::subscriptions
