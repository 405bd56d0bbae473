// The store has one column family, so RocksDB's write controller is in one
// condition at a time: normal, delayed or stopped. Each change is reported
// here; the time spent in a condition is added when it ends.
#include "store/embedded/rocks_events.h"

namespace allmende::store {

namespace {
double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}
}  // namespace

StoreStats::Stalls* RocksEvents::stallsOf(rocksdb::WriteStallCondition condition) {
  switch (condition) {
    case rocksdb::WriteStallCondition::kDelayed:
      return &delayed_;
    case rocksdb::WriteStallCondition::kStopped:
      return &stopped_;
    case rocksdb::WriteStallCondition::kNormal:
      break;
  }
  return nullptr;
}

void RocksEvents::report(StoreStats& stats) const {
  std::lock_guard lock(mutex_);
  stats.flushes = flushes_;
  stats.compactions = compactions_;
  stats.compactionWrittenBytes = compactionWrittenBytes_;
  stats.writesDelayed = delayed_;
  stats.writesStopped = stopped_;
  auto lasting = seconds(Clock::now() - since_);
  if (condition_ == rocksdb::WriteStallCondition::kDelayed) stats.writesDelayed.seconds += lasting;
  if (condition_ == rocksdb::WriteStallCondition::kStopped) stats.writesStopped.seconds += lasting;
}

void RocksEvents::OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo&) {
  std::lock_guard lock(mutex_);
  ++flushes_;
}

void RocksEvents::OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo& info) {
  if (!info.status.ok()) return;
  std::lock_guard lock(mutex_);
  ++compactions_;
  compactionWrittenBytes_ += info.stats.total_output_bytes;
}

void RocksEvents::OnStallConditionsChanged(const rocksdb::WriteStallInfo& info) {
  auto now = Clock::now();
  std::lock_guard lock(mutex_);
  if (auto* ended = stallsOf(condition_)) ended->seconds += seconds(now - since_);
  if (auto* begun = stallsOf(info.condition.cur)) ++begun->count;
  condition_ = info.condition.cur;
  since_ = now;
}

}  // namespace allmende::store
