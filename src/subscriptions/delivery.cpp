// The delivery's event loop: endpoints with their queues, connections,
// backoff and counters, all touched only on the loop's thread. send() checks
// the total memory bound with an atomic counter and hands the job over in a
// list that the loop takes whole (one wake-up of the loop per batch, not per
// notification: under load that is most of the hand-over's cost).
#include "subscriptions/delivery.h"

#include <algorithm>
#include <future>
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

// One receiver: its queue, connections, backoff and counters.
struct Endpoint {
  Endpoint(asio::io_context& io, QueueLimits limits) : queue(limits), resume(io) {}

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
  EndpointStats stats;
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
  Loop(DeliveryOptions o, Report r) : options(std::move(o)), report(std::move(r)), sweep(io) {}

  DeliveryOptions options;
  Report report;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
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
    auto& slot = endpoints[key];
    if (!slot) {
      slot = std::make_unique<Endpoint>(io, options.queue);
      slot->label = label;
      slot->mqtt = isMqtt;
      slot->mqttTarget = mqtt;
    }
    if (byUrl.size() >= 100000) byUrl.clear();
    return byUrl[cacheKey] = slot.get();
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
      report({Outcome::Failed, job.tenant, job.subscriptionId, 1, ngsi::nowMs()});
      return;
    }
    auto& ep = *endpoint;
    Pending p{std::move(job.tenant), std::move(job.subscriptionId), std::move(job.request), 1, 0, ngsi::nowMs(), size};
    if (!ep.queue.push(std::move(p))) {
      release(size);
      drop(ep, p.tenant, p.subscriptionId, 1, "its endpoint's queue is full");
      return;
    }
    dispatch(ep);
  }

  void release(size_t size) {
    bytes -= size;
    pending--;
  }

  // Counts and reports a drop; `why` is logged (at most every 10 s per endpoint) unless null.
  void drop(Endpoint& ep, const std::string& tenant, const std::string& subscription, size_t notifications,
            const char* why) {
    ep.stats.dropped += notifications;
    auto now = ngsi::nowMs();
    if (why && now - ep.lastLogMs >= 10000) {
      ep.lastLogMs = now;
      spdlog::warn("notification of {} to {} dropped: {} ({} dropped there so far)", subscription, ep.label, why,
                   ep.stats.dropped);
    }
    report({Outcome::Dropped, tenant, subscription, notifications, now});
  }

  void dispatch(Endpoint& ep) {
    if (Clock::now() < ep.pausedUntil) return;  // the resume timer dispatches again
    while (ep.inFlight.size() < std::max<size_t>(1, options.connectionsPerEndpoint)) {
      size_t coalesced = 0;
      auto p = ep.queue.take(coalesced);
      if (!p) break;
      ep.stats.coalesced += coalesced;
      pending -= coalesced;  // they travel as one now
      attempt(ep, std::move(*p));
    }
  }

  void attempt(Endpoint& ep, Pending pending) {
    auto id = nextAttempt++;
    const auto& p = ep.inFlight.emplace(id, std::move(pending)).first->second;  // stays put until finished()
    ep.lastActive = Clock::now();
    if (p.attempts) ep.stats.retried++;
    auto body = p.request.body(ngsi::nowMs());
    if (ep.mqtt) {
      if (!ep.mqttConnection) ep.mqttConnection = std::make_unique<MqttConnection>(io, ep.mqttTarget, options.timeout);
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
      client = ep.clients.emplace_back(std::make_unique<http::AsyncClient>(io, o)).get();
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
    report({ok ? Outcome::Sent : Outcome::Failed, p.tenant, p.subscriptionId, retry ? 0 : p.notifications, now});
    if (ok) {
      ep.stats.sent++;
      if (ep.failures) spdlog::info("notifications to {} are delivered again", ep.label);
      ep.failures = 0;
      release(p.bytes);
      ep.queue.finish(std::move(p), false);
    } else {
      ep.stats.failed++;
      if (!retry && retryable) ep.stats.dropped += p.notifications;  // reported as failed above, not twice
      if (now - ep.lastLogMs >= 10000) {  // a dead receiver must not flood the log
        ep.lastLogMs = now;
        spdlog::info("notification of {} to {} failed: {}; {} ({} failed attempts, {} dropped there so far)",
                     p.subscriptionId, ep.label, error,
                     retry ? "will retry" : retryable ? "retries exhausted, dropped" : "not retried",
                     ep.stats.failed, ep.stats.dropped);
      }
      if (retry) {
        p.attempts++;
        backOff(ep);
        ep.queue.finish(std::move(p), true);
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
    for (const auto& [key, ep] : endpoints) {
      auto s = ep->stats;
      s.endpoint = ep->label;
      s.queued = ep->queue.queued();
      s.queuedBytes = ep->queue.bytes();
      s.inFlight = ep->inFlight.size();
      out.endpoints.push_back(std::move(s));
    }
    out.queuedBytes = bytes;
    out.droppedOverTotal = droppedOverTotal;
    return out;
  }

  // At the end of the grace period: everything still waiting or in flight is dropped.
  void dropAll() {
    for (auto& [key, ep] : endpoints) {
      for (auto& p : ep->queue.drain()) {
        release(p.bytes);
        drop(*ep, p.tenant, p.subscriptionId, p.notifications, nullptr);  // the destructor logs the total
      }
      for (auto& [id, p] : ep->inFlight) drop(*ep, p.tenant, p.subscriptionId, p.notifications, nullptr);
      ep->inFlight.clear();
      ep->clients.clear();  // their callbacks are not called any more
      ep->mqttConnection.reset();
      ep->resume.cancel();
    }
    sweep.cancel();
  }
};

Delivery::Delivery(DeliveryOptions options, Report report)
    : loop_(std::make_unique<Loop>(std::move(options), std::move(report))) {
  loop_->sweepIdle();
  thread_ = std::thread([l = loop_.get()] { l->io.run(); });
}

Delivery::~Delivery() {
  auto& l = *loop_;
  l.stopping = true;
  auto deadline = Clock::now() + l.options.grace;
  while (l.pending > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (l.pending > 0) spdlog::warn("{} notifications were not delivered before the broker stopped", l.pending.load());
  std::promise<void> dropped;
  asio::post(l.io, [&l, &dropped] {
    l.dropAll();
    dropped.set_value();
  });
  dropped.get_future().wait();
  l.work.reset();
  l.io.stop();
  thread_.join();
}

void Delivery::send(Job job) {
  auto& l = *loop_;
  size_t size = job.request.bytes();
  if (l.stopping || l.bytes + size > l.options.totalBytes) {
    auto now = ngsi::nowMs();
    l.droppedOverTotal++;
    l.report({Outcome::Dropped, job.tenant, job.subscriptionId, 1, now});
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
  if (wake) asio::post(l.io, [&l] { l.takeIncoming(); });  // one wake-up for what arrives meanwhile
}

DeliveryStats Delivery::stats() const {
  auto promise = std::make_shared<std::promise<DeliveryStats>>();
  auto future = promise->get_future();
  asio::post(loop_->io, [l = loop_.get(), promise] { promise->set_value(l->snapshot()); });
  if (future.wait_for(std::chrono::seconds(2)) != std::future_status::ready) return {};
  return future.get();
}

}  // namespace allmende::subscriptions
