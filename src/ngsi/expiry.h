// Transient entities and attributes (clause 4.22): a background sweeper that
// removes expired entities and attribute instances through the write path.
// Readers already hide expired data (ngsi::isExpired); the sweeper reclaims it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "ngsi/write_path.h"
#include "store/store.h"

namespace allmende::ngsi {

class ExpirySweeper {
 public:
  // Starts the sweeper thread; it wakes every `interval`.
  ExpirySweeper(store::Store& store, WritePath& writes, std::chrono::milliseconds interval);
  // Stops and joins the thread.
  ~ExpirySweeper();

  // One sweep now (also used by tests); returns the number of entities changed.
  size_t sweepOnce();

 private:
  void run();

  store::Store& store_;
  WritePath& writes_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace allmende::ngsi
