// A pool of PostgreSQL connections shared by the store's threads: a thread
// takes one for a statement or a transaction (Pool::Lease) and gives it back
// when the lease ends. Connections are opened when first needed, up to the
// pool's size; a thread finding all of them taken waits. A connection that
// broke is dropped when given back, and a new one is opened in its place.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/postgres/connection.h"

namespace allmende::store::pg {

class Pool {
 public:
  Pool(std::string conninfo, size_t size);

  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (connection_) pool_->giveBack(std::move(connection_));
    }
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> connection_;
  };
  Lease take();
  const std::string& conninfo() const { return conninfo_; }

 private:
  void giveBack(std::unique_ptr<Connection> connection);

  std::string conninfo_;
  size_t size_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_ = 0;  // connections that exist, idle or leased
};

}  // namespace allmende::store::pg
