// Delivers notifications off the request path: a few lanes, each a bounded
// queue drained by its own thread that POSTs each request (http/client.h) or
// publishes it to an MQTT broker (mqtt_sender.h), keeping the connection to
// its last endpoint open, and reports the outcome. A subscription always uses the same lane, so its
// notifications leave in the order they were queued, and a slow endpoint holds
// up only the subscriptions that share its lane. A full lane drops the
// notification and reports it as failed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "subscriptions/notification.h"

namespace allmende::subscriptions {

struct NotifierOptions {
  std::chrono::milliseconds timeout{5000};  // per notification, connect to last byte
  size_t lanes = 4;                          // sending threads
  size_t maxQueued = 10000;                  // per lane
};

class Notifier {
 public:
  struct Job {
    std::string tenant;
    std::string subscriptionId;
    NotificationRequest request;
  };
  // Called on a lane's thread after each attempt.
  using Report = std::function<void(const Job& job, bool ok, int64_t atMs)>;

  Notifier(NotifierOptions options, Report report);
  ~Notifier();  // stops after the notifications in flight; the queued ones are dropped

  void send(Job job);

 private:
  struct Lane {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Job> queue;
    bool stopping = false;
    std::thread thread;
  };
  void run(Lane& lane);

  NotifierOptions options_;
  Report report_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::atomic<uint64_t> dropped_{0};
  std::atomic<int64_t> lastDropWarning_{0};
};

}  // namespace allmende::subscriptions
