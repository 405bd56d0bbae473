// Delivers notifications off the request path: a bounded queue drained by one
// thread that POSTs each request (http/client.h) and reports the outcome.
// Notifications of one subscription leave in the order they were queued. A
// full queue drops the notification and reports it as failed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "subscriptions/notification.h"

namespace allmende::subscriptions {

struct NotifierOptions {
  std::chrono::milliseconds timeout{5000};  // per notification, connect to last byte
  size_t maxQueued = 10000;
};

class Notifier {
 public:
  struct Job {
    std::string tenant;
    std::string subscriptionId;
    NotificationRequest request;
  };
  // Called on the notifier's thread after each attempt.
  using Report = std::function<void(const Job& job, bool ok, int64_t atMs)>;

  Notifier(NotifierOptions options, Report report);
  ~Notifier();  // stops after the notification in flight; the rest are dropped

  void send(Job job);

 private:
  void run();

  NotifierOptions options_;
  Report report_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace allmende::subscriptions
