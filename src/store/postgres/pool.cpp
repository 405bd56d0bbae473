// The connection pool (pool.h).
#include "store/postgres/pool.h"

namespace allmende::store::pg {

Pool::Pool(std::string conninfo, size_t size)
    : conninfo_(std::move(conninfo)), size_(size ? size : 1) {}

Pool::Lease Pool::take() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [this] { return !idle_.empty() || open_ < size_; });
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(connection));
  }
  ++open_;
  lock.unlock();
  try {
    return Lease(*this, std::make_unique<Connection>(conninfo_));
  } catch (...) {
    lock.lock();
    --open_;
    available_.notify_one();
    throw;
  }
}

void Pool::giveBack(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (connection->ok())
    idle_.push_back(std::move(connection));
  else
    --open_;
  available_.notify_one();
}

}  // namespace allmende::store::pg
