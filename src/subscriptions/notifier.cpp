// The notifier's queue and its sending thread.
#include "subscriptions/notifier.h"

#include <spdlog/spdlog.h>

#include "http/client.h"
#include "ngsi/datetime.h"

namespace allmende::subscriptions {

Notifier::Notifier(NotifierOptions options, Report report)
    : options_(options), report_(std::move(report)), thread_([this] { run(); }) {}

Notifier::~Notifier() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Notifier::send(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() < options_.maxQueued) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  spdlog::warn("notification queue full: dropped a notification of {}", job.subscriptionId);
  report_(job, false, ngsi::nowMs());
}

void Notifier::run() {
  http::ClientOptions client;
  client.timeout = options_.timeout;
  client.maxBytes = 64 * 1024;
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    bool ok = false;
    const auto& url = job.request.url;
    if (url.starts_with("http://") || url.starts_with("https://")) {
      auto res = http::post(url, job.request.body, client, job.request.headers);
      ok = res.ok && res.status >= 200 && res.status < 300;
      if (!ok)
        spdlog::info("notification of {} to {} failed: {}", job.subscriptionId, url,
                     res.ok ? "HTTP " + std::to_string(res.status) : res.error);
    } else {
      spdlog::info("notification of {} to {} failed: only http and https endpoints are served yet",
                   job.subscriptionId, url);
    }
    report_(job, ok, ngsi::nowMs());
  }
}

}  // namespace allmende::subscriptions
