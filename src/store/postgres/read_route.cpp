// The replica's lag, measured against the primary's WAL positions (read_route.h).
#include "store/postgres/read_route.h"

#include <chrono>

#include <spdlog/spdlog.h>

namespace allmende::store::pg {

namespace {

// A pg_lsn as PostgreSQL writes it ("16/B374D848") as one number.
uint64_t walPosition(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return 0;
  return (std::stoull(std::string(text.substr(0, slash)), nullptr, 16) << 32) |
         std::stoull(std::string(text.substr(slash + 1)), nullptr, 16);
}

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ReadRoute::ReadRoute(Pool& primary, const ReplicaOptions& replica)
    : primary_(primary), maxLagMs_(replica.maxLagMs) {
  if (replica.url.empty()) return;
  replica_ = std::make_unique<Pool>(replica.url, replica.connections);
  {
    auto c = replica_->take();  // reachable at start, or the broker does not start
    if (!c->exec("SELECT pg_is_in_recovery()").flag(0, 0))
      spdlog::warn("--store-read-replica names a server that is not a replica (not in recovery)");
  }
  measure();
  monitor_ = std::thread([this] { monitor(); });
}

ReadRoute::~ReadRoute() {
  if (!monitor_.joinable()) return;
  {
    std::lock_guard lock(stopMutex_);
    stopping_ = true;
  }
  stopped_.notify_all();
  monitor_.join();
}

void ReadRoute::monitor() {
  std::unique_lock lock(stopMutex_);
  while (!stopped_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; })) {
    lock.unlock();
    measure();
    lock.lock();
  }
}

void ReadRoute::measure() {
  bool usable = false;
  std::string why;  // why not
  try {
    auto now = steadyMs();
    noted_.emplace_back(
        now, walPosition(primary_.take()->exec("SELECT pg_current_wal_lsn()::text").text(0, 0)));
    while (noted_.size() > 4 * 3600) noted_.pop_front();  // an hour of a replica out of reach
    auto replayed =
        walPosition(replica_->take()->exec("SELECT pg_last_wal_replay_lsn()::text").text(0, 0));
    // The last time the primary was at or before the replayed position: the
    // replica holds everything committed before it.
    int64_t caughtUpTo = -1;
    while (!noted_.empty() && noted_.front().second <= replayed) {
      caughtUpTo = noted_.front().first;
      noted_.pop_front();
    }
    if (caughtUpTo >= 0) noted_.emplace_front(caughtUpTo, replayed);  // stays the reference
    int64_t lagMs = caughtUpTo >= 0 && noted_.size() == 1
                        ? 0
                        : now - (caughtUpTo >= 0 ? caughtUpTo : noted_.front().first);
    usable = lagMs <= maxLagMs_;
    why = "it is " + std::to_string(lagMs) + " ms behind";
  } catch (const std::exception& e) {
    why = e.what();
  }
  if (usable && !replicaUsable_) spdlog::info("reads go to the read replica");
  if (!usable && replicaUsable_)
    spdlog::warn("reads go to the primary, not the read replica: {}", why);
  replicaUsable_ = usable;
}

}  // namespace allmende::store::pg
