// Where the PostgreSQL store's reads go (`--store-read-replica`): to a
// streaming replica of the database while it is at most `maxLagMs` behind
// the primary, else (and without a replica) to the primary. Writes, the reads
// inside a write, documents and settings always go to the primary.
//
// The lag is measured, not asked for: four times a second the primary's WAL
// position is noted with the time, and the replica's replayed position is
// compared with the positions noted. When the replica has replayed what the
// primary had written at time t, it has every write committed before t; its
// lag is the time since. A replica that is too far behind, or cannot be
// reached, gets no reads until it has caught up again. So a read from the
// replica misses at most the writes of the last maxLagMs + 250 ms.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/postgres/pool.h"

namespace allmende::store::pg {

struct ReplicaOptions {
  std::string url;  // empty: no replica
  size_t connections = 16;
  int64_t maxLagMs = 1000;
};

class ReadRoute {
 public:
  ReadRoute(Pool& primary, const ReplicaOptions& replica);
  ~ReadRoute();

  // The pool a read takes its connection from.
  Pool& pool() const { return replicaUsable_ ? *replica_ : primary_; }

 private:
  void monitor();
  void measure();

  Pool& primary_;
  std::unique_ptr<Pool> replica_;
  int64_t maxLagMs_;
  std::atomic<bool> replicaUsable_ = false;
  std::deque<std::pair<int64_t, uint64_t>>
      noted_;  // (steady ms, primary WAL position), oldest first
  std::mutex stopMutex_;
  std::condition_variable stopped_;
  bool stopping_ = false;
  std::thread monitor_;
};

}  // namespace allmende::store::pg
