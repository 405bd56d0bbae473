// History retention by age (--history-retention): instances whose time
// (observedAt, else when they were recorded) is older than the retention are
// dropped by RocksDB's compactions of the history column family, in the
// background, never in a write's path. Until a compaction reaches them, reads
// leave them out (RocksStore starts every history scan at the cutoff), so an
// answer never depends on when a compaction ran. Entity records ("R" keys)
// are kept.
#pragma once

#include <cstdint>
#include <string>

#include <rocksdb/compaction_filter.h>

namespace allmende::store::history {

class Retention : public rocksdb::CompactionFilter {
 public:
  explicit Retention(int64_t retentionMs) : retentionMs_(retentionMs) {}

  // The oldest time kept now (epoch ms).
  int64_t cutoffMs() const;

  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string* newValue, bool* valueChanged) const override;
  const char* Name() const override { return "allmende.HistoryRetention"; }

 private:
  int64_t retentionMs_;
};

}  // namespace allmende::store::history
