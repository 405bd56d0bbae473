// The delivery on the event loop: endpoints with their queues, connections,
// backoff and counters, all touched only in handlers of the delivery's strand.
// send() checks the total memory bound with an atomic counter and hands the
// job over in a list that the strand takes whole (one handler per batch, not
// per notification). The figures stats() reads are single-writer atomics, and
// the list of endpoints is locked while it changes, so stats() never waits for
// the loop (a request handler on the loop's only thread could not).
#include "subscriptions/delivery.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "http/async_client.h"
#include "ngsi/datetime.h"
#include "subscriptions/mqtt_connection.h"

namespace allmende::subscriptions {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// A figure that only the strand writes and any thread may read.
class Figure {
 public:
  void add(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(uint64_t n) { value_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// What EndpointStats reports of one endpoint, as it is kept (see delivery_stats.h).
struct LiveStats {
  Figure queued, queuedBytes, inFlight, sent, failed, retried, coalesced, dropped;
};

// One receiver: its queue, connections, backoff and counters.
struct Endpoint {
  Endpoint(const asio::any_io_executor& executor, QueueLimits limits)
      : queue(limits), resume(executor) {}

  std::string label;
  bool mqtt = false;
  MqttTarget mqttTarget;  // for an MQTT endpoint
  EndpointQueue queue;
  std::vector<std::unique_ptr<http::AsyncClient>> clients;  // for an HTTP endpoint
  std::unique_ptr<MqttConnection> mqttConnection;
  std::map<uint64_t, Pending> inFlight;  // by attempt
  int failures = 0;                   // consecutive failed attempts
  Clock::time_point pausedUntil{};    // backoff: nothing is sent before
  asio::steady_timer resume;          // ends the backoff
  Clock::time_point lastActive = Clock::now();
  int64_t lastLogMs = 0;              // failures are logged at most every 10 s per endpoint
  LiveStats stats;

  // Makes the figures of the queue and the flights current.
  void publish() {
    stats.queued.set(queue.queued());
    stats.queuedBytes.set(queue.bytes());
    stats.inFlight.set(inFlight.size());
  }
};

// An endpoint's key (what one connection pool serves) and label; for an MQTT
// endpoint also its target. False with `error` for a URI that cannot be reached.
bool endpointOf(const NotificationRequest& r, std::string& key, std::string& label, bool& isMqtt, MqttTarget& mqtt,
                std::string& error) {
  isMqtt = r.url.starts_with("mqtt://") || r.url.starts_with("mqtts://");
  if (isMqtt) {
    if (!parseMqttTarget(r.url, r.mqtt5, mqtt, error)) return false;
    key = mqtt.connectionKey();
    label = mqtt.label();
    return true;
  }
  auto parsed = boost::urls::parse_uri(r.url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https")) {
    error = "not an http(s):// or mqtt(s):// URI";
    return false;
  }
  label = std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_host_and_port());
  key = label;
  return true;
}

// The MQTT message of a notification (7.2): the HTTP headers as metadata, the notification as body.
std::string mqttPayload(const NotificationRequest& r, const std::string& body) {
  std::string metadata;
  for (const auto& [name, value] : r.headers)
    metadata += (metadata.empty() ? "" : ",") + boost::json::serialize(boost::json::string(name)) + ":" +
                boost::json::serialize(boost::json::string(value));
  return "{\"metadata\":{" + metadata + "},\"body\":" + body + "}";
}

}  // namespace

struct Delivery::Loop {
  Loop(asio::io_context& io, DeliveryOptions o, Report r)
      : io(io),
        strand(asio::make_strand(io)),
        options(std::move(o)),
        report(std::move(r)),
        sweep(strand) {}

  asio::io_context& io;
  asio::any_io_executor strand;
  DeliveryOptions options;
  Report report;
  mutable std::mutex endpointsMutex;  // held while endpoints changes, and by snapshot()
  std::map<std::string, std::unique_ptr<Endpoint>> endpoints;  // by key
  std::unordered_map<std::string, Endpoint*> byUrl;             // notification URL (+ MQTT version) -> endpoint
  std::atomic<uint64_t> bytes{0};    // waiting and in flight, over all endpoints
  std::atomic<uint64_t> pending{0};  // notifications waiting or in flight
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> lastTotalDropLog{0};
  std::atomic<uint64_t> droppedOverTotal{0};
  std::mutex incomingMutex;
  std::vector<std::pair<Delivery::Job, size_t>> incoming;  // from send(), not yet taken by the loop
  asio::steady_timer sweep;
  std::mt19937 rng{std::random_device{}()};
  uint64_t nextAttempt = 0;

  // The endpoint a notification goes to (made on first use); null (with `error`) if its URI cannot be reached.
  Endpoint* endpointFor(const NotificationRequest& r, std::string& error) {
    auto cacheKey = r.url + (r.mqtt5 ? "\n5" : "");
    if (auto it = byUrl.find(cacheKey); it != byUrl.end()) return it->second;
    std::string key, label;
    MqttTarget mqtt;
    bool isMqtt = false;
    if (!endpointOf(r, key, label, isMqtt, mqtt, error)) return nullptr;
    auto found = endpoints.find(key);
    if (found == endpoints.end()) {
      auto fresh = std::make_unique<Endpoint>(strand, options.queue);
      fresh->label = label;
      fresh->mqtt = isMqtt;
      fresh->mqttTarget = mqtt;
      std::lock_guard lock(endpointsMutex);
      found = endpoints.emplace(key, std::move(fresh)).first;
    }
    if (byUrl.size() >= 100000) byUrl.clear();
    return byUrl[cacheKey] = found->second.get();
  }

  // What send() handed over since the last turn, enqueued at once.
  void takeIncoming() {
    std::vector<std::pair<Delivery::Job, size_t>> batch;
    {
      std::lock_guard lock(incomingMutex);
      batch.swap(incoming);
    }
    for (auto& [job, size] : batch) enqueue(std::move(job), size);
  }

  void enqueue(Delivery::Job job, size_t size) {
    std::string error;
    auto* endpoint = endpointFor(job.request, error);
    if (!endpoint) {
      spdlog::info("notification of {} not sent: {}", job.subscriptionId, error);
      release(size);
      report({Outcome::Failed, job.tenant, job.subscriptionId, job.request.kind, 1, ngsi::nowMs()});
      return;
    }
    auto& ep = *endpoint;
    Pending p{std::move(job.tenant), std::move(job.subscriptionId), std::move(job.request), 1, 0, ngsi::nowMs(), size};
    if (!ep.queue.push(std::move(p))) {
      release(size);
      drop(ep, p, 1, "its endpoint's queue is full");
      return;
    }
    dispatch(ep);
  }

  void release(size_t size) {
    bytes -= size;
    pending--;
  }

  // Counts and reports a drop; `why` is logged (at most every 10 s per endpoint) unless null.
  void drop(Endpoint& ep, const Pending& p, size_t notifications, const char* why) {
    ep.stats.dropped.add(notifications);
    auto now = ngsi::nowMs();
    if (why && now - ep.lastLogMs >= 10000) {
      ep.lastLogMs = now;
      spdlog::warn("notification of {} to {} dropped: {} ({} dropped there so far)", p.subscriptionId,
                   ep.label, why, ep.stats.dropped.get());
    }
    report({Outcome::Dropped, p.tenant, p.subscriptionId, p.request.kind, notifications, now});
  }

  void dispatch(Endpoint& ep) {
    if (Clock::now() >= ep.pausedUntil) {  // else the resume timer dispatches again
      while (ep.inFlight.size() < std::max<size_t>(1, options.connectionsPerEndpoint)) {
        size_t coalesced = 0;
        auto p = ep.queue.take(coalesced);
        if (!p) break;
        ep.stats.coalesced.add(coalesced);
        pending -= coalesced;  // they travel as one now
        attempt(ep, std::move(*p));
      }
    }
    ep.publish();
  }

  void attempt(Endpoint& ep, Pending pending) {
    auto id = nextAttempt++;
    const auto& p = ep.inFlight.emplace(id, std::move(pending)).first->second;  // stays put until finished()
    ep.lastActive = Clock::now();
    if (p.attempts) ep.stats.retried.add();
    auto body = p.request.body(ngsi::nowMs());
    if (ep.mqtt) {
      if (!ep.mqttConnection)
        ep.mqttConnection =
            std::make_unique<MqttConnection>(strand, ep.mqttTarget, options.timeout);
      MqttTarget target;
      std::string error;
      parseMqttTarget(p.request.url, p.request.mqtt5, target, error);  // parsed before: cannot fail
      ep.mqttConnection->publish(target.topic, mqttPayload(p.request, body), p.request.mqttQos,
                                 [this, &ep, id](bool ok, std::string error) { finished(ep, id, ok, !ok, error); });
      return;
    }
    http::AsyncClient* client = nullptr;
    for (auto& c : ep.clients)
      if (!c->busy()) client = c.get();
    if (!client) {
      http::ClientOptions o;
      o.timeout = options.timeout;
      o.maxBytes = 64 * 1024;
      client = ep.clients.emplace_back(std::make_unique<http::AsyncClient>(strand, o)).get();
    }
    client->send("POST", p.request.url, std::move(body), p.request.headers,
                 [this, &ep, id](http::ClientResponse r) {
                   bool ok = r.ok && r.status >= 200 && r.status < 300;
                   // No answer, a server error, a timeout or "too many requests" may pass; other answers would not.
                   bool retryable = !r.ok || r.status >= 500 || r.status == 408 || r.status == 429;
                   finished(ep, id, ok, retryable, r.ok ? "HTTP " + std::to_string(r.status) : r.error);
                 });
  }

  void finished(Endpoint& ep, uint64_t id, bool ok, bool retryable, const std::string& error) {
    auto node = ep.inFlight.extract(id);
    if (!node) return;
    auto& p = node.mapped();
    ep.lastActive = Clock::now();
    auto now = ngsi::nowMs();
    bool retry = !ok && retryable && p.attempts < options.maxRetries;
    report({ok ? Outcome::Sent : Outcome::Failed, p.tenant, p.subscriptionId, p.request.kind,
            retry ? 0 : p.notifications, now});
    if (ok) {
      ep.stats.sent.add();
      if (ep.failures) spdlog::info("notifications to {} are delivered again", ep.label);
      ep.failures = 0;
      release(p.bytes);
      ep.queue.finish(std::move(p), false);
    } else {
      ep.stats.failed.add();
      if (!retry && retryable)
        ep.stats.dropped.add(p.notifications);  // reported as failed above, not twice
      if (now - ep.lastLogMs >= 10000) {  // a dead receiver must not flood the log
        ep.lastLogMs = now;
        spdlog::info(
            "notification of {} to {} failed: {}; {} ({} failed attempts, {} dropped there so far)",
            p.subscriptionId, ep.label, error,
            retry       ? "will retry"
            : retryable ? "retries exhausted, dropped"
                        : "not retried",
            ep.stats.failed.get(), ep.stats.dropped.get());
      }
      if (retry) {
        p.attempts++;
        backOff(ep);
        auto bytes = p.bytes;
        if (!ep.queue.finish(std::move(p), true)) release(bytes);  // its subscription is gone
      } else {
        release(p.bytes);
        ep.queue.finish(std::move(p), false);
      }
    }
    dispatch(ep);
  }

  // Pauses the endpoint after a failure: base * 2^(failures-1), at most retryMax, +-20 % jitter.
  void backOff(Endpoint& ep) {
    auto now = Clock::now();
    if (now < ep.pausedUntil) return;  // attempts that were in flight together count once
    ep.failures++;
    auto delay = options.retryBase * (1LL << std::min(ep.failures - 1, 20));
    delay = std::min<std::chrono::milliseconds>(delay, options.retryMax);
    delay = std::chrono::milliseconds(
        static_cast<int64_t>(delay.count() * std::uniform_real_distribution<double>(0.8, 1.2)(rng)));
    ep.pausedUntil = now + delay;
    ep.resume.expires_at(ep.pausedUntil);
    ep.resume.async_wait([this, &ep](boost::system::error_code ec) {
      if (!ec) dispatch(ep);
    });
  }

  // Every 5 s: connections of endpoints idle for 30 s are closed, endpoints idle for an hour forgotten.
  void sweepIdle() {
    sweep.expires_after(std::chrono::seconds(5));
    sweep.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      auto now = Clock::now();
      for (auto it = endpoints.begin(); it != endpoints.end();) {
        auto& ep = *it->second;
        bool idle = ep.inFlight.empty() && !ep.queue.queued() && now >= ep.pausedUntil;
        if (idle && now - ep.lastActive > std::chrono::hours(1)) {
          byUrl.clear();
          std::lock_guard lock(endpointsMutex);
          it = endpoints.erase(it);
          continue;
        }
        if (idle && now - ep.lastActive > std::chrono::seconds(30)) {
          ep.clients.clear();
          ep.mqttConnection.reset();
        }
        ++it;
      }
      sweepIdle();
    });
  }

  DeliveryStats snapshot() const {
    DeliveryStats out;
    std::lock_guard lock(endpointsMutex);
    for (const auto& [key, ep] : endpoints) {
      const auto& s = ep->stats;
      out.endpoints.push_back({ep->label, s.queued.get(), s.queuedBytes.get(), s.inFlight.get(),
                               s.sent.get(), s.failed.get(), s.retried.get(), s.coalesced.get(),
                               s.dropped.get()});
    }
    out.queuedBytes = bytes;
    out.droppedOverTotal = droppedOverTotal;
    return out;
  }

  // A deleted subscription's notifications: what waits is dropped, what is in flight not retried.
  void forget(const std::string& tenant, const std::string& subscriptionId, SubscriptionKind kind) {
    for (auto& [key, ep] : endpoints)
      for (auto& p : ep->queue.forget(tenant, subscriptionId, kind)) {
        release(p.bytes);
        drop(*ep, p, p.notifications, nullptr);
      }
  }

  // At the end of the grace period: everything still waiting or in flight is dropped.
  void dropAll() {
    for (auto& [key, ep] : endpoints) {
      for (auto& p : ep->queue.drain()) {
        release(p.bytes);
        drop(*ep, p, p.notifications, nullptr);  // the destructor logs the total
      }
      for (auto& [id, p] : ep->inFlight) drop(*ep, p, p.notifications, nullptr);
      ep->inFlight.clear();
      ep->clients.clear();  // their callbacks are not called any more
      ep->mqttConnection.reset();
      ep->resume.cancel();
      ep->publish();
    }
    sweep.cancel();
  }
};

Delivery::Delivery(asio::io_context& io, DeliveryOptions options, Report report)
    : loop_(std::make_unique<Loop>(io, std::move(options), std::move(report))) {
  asio::post(loop_->strand, [l = loop_.get()] { l->sweepIdle(); });
}

Delivery::~Delivery() {
  auto& l = *loop_;
  l.stopping = true;
  l.io.restart();  // the server no longer runs the loop: it runs here for the grace period
  auto deadline = Clock::now() + l.options.grace;
  while (l.pending > 0 && Clock::now() < deadline && !l.io.stopped()) l.io.run_one_until(deadline);
  if (l.pending > 0) spdlog::warn("{} notifications were not delivered before the broker stopped", l.pending.load());
  asio::post(l.strand, [&l] { l.dropAll(); });
  l.io.restart();
  l.io.poll();  // the drop, then the handlers of what it cancelled: none may run after the Loop is
                // gone
}

void Delivery::send(Job job) {
  auto& l = *loop_;
  if (!job.tenant.empty()) job.request.headers.emplace_back("NGSILD-Tenant", job.tenant);
  size_t size = job.request.bytes();
  if (l.stopping || l.bytes + size > l.options.totalBytes) {
    auto now = ngsi::nowMs();
    l.droppedOverTotal++;
    l.report({Outcome::Dropped, job.tenant, job.subscriptionId, job.request.kind, 1, now});
    if (auto last = l.lastTotalDropLog.load(); now - last >= 10000 && l.lastTotalDropLog.compare_exchange_strong(last, now))
      spdlog::warn("notification of {} dropped: the notification queues hold their limit of {} bytes",
                   job.subscriptionId, l.options.totalBytes);
    return;
  }
  l.bytes += size;
  l.pending++;
  bool wake;
  {
    std::lock_guard lock(l.incomingMutex);
    wake = l.incoming.empty();
    l.incoming.emplace_back(std::move(job), size);
  }
  if (wake)
    asio::post(l.strand, [&l] { l.takeIncoming(); });  // one handler for what arrives meanwhile
}

void Delivery::forget(std::string tenant, std::string subscriptionId, SubscriptionKind kind) {
  auto& l = *loop_;
  asio::post(l.strand, [&l, tenant = std::move(tenant), id = std::move(subscriptionId), kind] {
    l.takeIncoming();  // what was sent before
    l.forget(tenant, id, kind);
  });
}

DeliveryStats Delivery::stats() const {
  return loop_->snapshot();
}

void record(NotificationStats& st, const Outcome& o) {
  st.pending -= std::min<uint64_t>(st.pending, o.settled);
  if (o.kind != Outcome::Dropped) {
    st.timesSent++;
    st.lastNotificationMs = o.atMs;
  }
  if (o.kind == Outcome::Sent) {
    st.lastSuccessMs = o.atMs;
  } else {
    st.lastFailureMs = o.atMs;
    st.timesFailed++;
  }
}

}  // namespace allmende::subscriptions
