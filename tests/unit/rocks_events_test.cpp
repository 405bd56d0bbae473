// RocksDB's background events as StoreStats: compactions that failed do not
// count, and write stalls are counted with the time spent in them.
#include <thread>

#include <gtest/gtest.h>

#include "store/embedded/rocks_events.h"

using namespace allmende;
using Condition = rocksdb::WriteStallCondition;

namespace {
rocksdb::WriteStallInfo change(Condition from, Condition to) {
  rocksdb::WriteStallInfo info;
  info.condition.prev = from;
  info.condition.cur = to;
  return info;
}
}  // namespace

TEST(RocksEvents, CountsFlushesAndSuccessfulCompactions) {
  store::RocksEvents events;
  events.OnFlushCompleted(nullptr, {});
  rocksdb::CompactionJobInfo done;
  done.stats.total_output_bytes = 1000;
  events.OnCompactionCompleted(nullptr, done);
  rocksdb::CompactionJobInfo failed;
  failed.status = rocksdb::Status::IOError("disk full");
  failed.stats.total_output_bytes = 500;
  events.OnCompactionCompleted(nullptr, failed);
  store::StoreStats stats;
  events.report(stats);
  EXPECT_EQ(stats.flushes, 1u);
  EXPECT_EQ(stats.compactions, 1u);
  EXPECT_EQ(stats.compactionWrittenBytes, 1000u);
}

TEST(RocksEvents, CountsStallsAndTheirDuration) {
  store::RocksEvents events;
  events.OnStallConditionsChanged(change(Condition::kNormal, Condition::kDelayed));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  events.OnStallConditionsChanged(change(Condition::kDelayed, Condition::kStopped));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  store::StoreStats lasting;
  events.report(lasting);
  EXPECT_EQ(lasting.writesDelayed.count, 1u);
  EXPECT_EQ(lasting.writesStopped.count, 1u);
  EXPECT_GE(lasting.writesDelayed.seconds, 0.02);
  EXPECT_GE(lasting.writesStopped.seconds, 0.02) << "a stall that lasts counts up to now";
  events.OnStallConditionsChanged(change(Condition::kStopped, Condition::kNormal));
  store::StoreStats first, later;
  events.report(first);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  events.report(later);
  EXPECT_EQ(later.writesStopped.seconds, first.writesStopped.seconds) << "no stall: no time added";
  EXPECT_EQ(later.writesDelayed.count, 1u);
}
