// The notifier's lanes: queues and their sending threads.
#include "subscriptions/notifier.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "http/client.h"
#include "subscriptions/mqtt_sender.h"
#include "ngsi/datetime.h"

namespace allmende::subscriptions {

namespace {

// The endpoint for the log: a password in it (scheme://user:password@host) is not shown.
std::string redacted(const std::string& url) {
  auto scheme = url.find("://");
  auto at = url.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos || url.find('/', scheme + 3) < at) return url;
  auto colon = url.find(':', scheme + 3);
  return colon < at ? url.substr(0, colon + 1) + "***" + url.substr(at) : url;
}

}  // namespace

Notifier::Notifier(NotifierOptions options, Report report) : options_(options), report_(std::move(report)) {
  options_.lanes = std::max<size_t>(1, options_.lanes);
  for (size_t i = 0; i < options_.lanes; ++i) lanes_.push_back(std::make_unique<Lane>());
  for (auto& lane : lanes_) lane->thread = std::thread([this, l = lane.get()] { run(*l); });
}

Notifier::~Notifier() {
  for (auto& lane : lanes_) {
    {
      std::lock_guard lock(lane->mutex);
      lane->stopping = true;
    }
    lane->wake.notify_all();
  }
  for (auto& lane : lanes_) lane->thread.join();
}

void Notifier::send(Job job) {
  auto& lane = *lanes_[std::hash<std::string>{}(job.tenant + '\n' + job.subscriptionId) % lanes_.size()];
  {
    std::lock_guard lock(lane.mutex);
    if (lane.queue.size() < options_.maxQueued) {
      lane.queue.push_back(std::move(job));
      lane.wake.notify_one();
      return;
    }
  }
  auto now = ngsi::nowMs();
  auto dropped = ++dropped_;
  if (auto last = lastDropWarning_.load(); now - last >= 1000 && lastDropWarning_.compare_exchange_strong(last, now))
    spdlog::warn("notification queue full: {} notifications dropped so far (now one of {})", dropped,
                 job.subscriptionId);  // at most once a second
  report_(job, false, now);
}

void Notifier::run(Lane& lane) {
  http::ClientOptions clientOptions;
  clientOptions.timeout = options_.timeout;
  clientOptions.maxBytes = 64 * 1024;
  http::Client client(clientOptions);  // keeps the connection to the lane's last endpoint
  MqttSender mqtt(options_.timeout);
  while (true) {
    Job job;
    {
      std::unique_lock lock(lane.mutex);
      lane.wake.wait(lock, [&lane] { return lane.stopping || !lane.queue.empty(); });
      if (lane.stopping) return;
      job = std::move(lane.queue.front());
      lane.queue.pop_front();
    }
    bool ok = false;
    const auto& url = job.request.url;
    if (url.starts_with("http://") || url.starts_with("https://")) {
      auto res = client.send("POST", url, job.request.body, job.request.headers);
      ok = res.ok && res.status >= 200 && res.status < 300;
      if (!ok)
        spdlog::info("notification of {} to {} failed: {}", job.subscriptionId, redacted(url),
                     res.ok ? "HTTP " + std::to_string(res.status) : res.error);
    } else {
      // MQTT (7.2): the HTTP headers become the message's metadata, the notification its body.
      std::string metadata;
      for (const auto& [name, value] : job.request.headers)
        metadata += (metadata.empty() ? "" : ",") + boost::json::serialize(boost::json::string(name)) + ":" +
                    boost::json::serialize(boost::json::string(value));
      MqttMessage message{url, "{\"metadata\":{" + metadata + "},\"body\":" + job.request.body + "}",
                          job.request.mqttQos, job.request.mqtt5};
      std::string error;
      ok = mqtt.publish(message, error);
      if (!ok) spdlog::info("notification of {} to {} failed: {}", job.subscriptionId, redacted(url), error);
    }
    report_(job, ok, ngsi::nowMs());
  }
}

}  // namespace allmende::subscriptions
