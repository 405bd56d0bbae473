// Counts what RocksDB does in the background, for StoreStats: flushes,
// compactions and the bytes they wrote, and write stalls (how often, and how
// long, RocksDB delayed or stopped writes because flushes or compactions fell
// behind). RocksDB calls the On* methods from its background threads;
// report may be called from any thread.
#pragma once

#include <chrono>
#include <mutex>

#include <rocksdb/listener.h>

#include "store/store.h"

namespace allmende::store {

class RocksEvents final : public rocksdb::EventListener {
 public:
  // Sets the figures counted so far in `stats` (a stall that lasts counts up to now).
  void report(StoreStats& stats) const;

  const char* Name() const override { return "AllmendeStoreEvents"; }

  void OnFlushCompleted(rocksdb::DB* db, const rocksdb::FlushJobInfo& info) override;
  void OnCompactionCompleted(rocksdb::DB* db, const rocksdb::CompactionJobInfo& info) override;
  void OnStallConditionsChanged(const rocksdb::WriteStallInfo& info) override;

 private:
  using Clock = std::chrono::steady_clock;
  // The stall counts of a condition (delayed or stopped); null for normal.
  StoreStats::Stalls* stallsOf(rocksdb::WriteStallCondition condition);

  mutable std::mutex mutex_;
  uint64_t flushes_ = 0;
  uint64_t compactions_ = 0;
  uint64_t compactionWrittenBytes_ = 0;
  StoreStats::Stalls delayed_;
  StoreStats::Stalls stopped_;
  rocksdb::WriteStallCondition condition_ = rocksdb::WriteStallCondition::kNormal;
  Clock::time_point since_;  // when condition_ began
};

}  // namespace allmende::store
