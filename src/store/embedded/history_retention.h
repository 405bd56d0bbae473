// History retention by age (--history-retention): blocks (history_blocks.h)
// whose every instance's time (observedAt, else when it was recorded) is older
// than the retention are dropped by RocksDB's compactions of the history
// column family, and so are merge operands for them, in the background, never
// in a write's path. Until a compaction reaches them, reads
// leave them out (HistoryColumn starts every scan at the cutoff), so an
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
  bool FilterMergeOperand(int level, const rocksdb::Slice& key,
                          const rocksdb::Slice& operand) const override;
  const char* Name() const override { return "allmende.HistoryRetention"; }

 private:
  bool expired(const rocksdb::Slice& key) const;  // a block that ends before the cutoff

  int64_t retentionMs_;
};

}  // namespace allmende::store::history
