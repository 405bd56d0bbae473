// The retention compaction filter (history_retention.h).
#include "store/embedded/history_retention.h"

#include <chrono>

#include "store/embedded/history_codec.h"

namespace allmende::store::history {

int64_t Retention::cutoffMs() const {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return now - retentionMs_;
}

bool Retention::expired(const rocksdb::Slice& key) const {
  auto start = blockTimeOf(std::string_view(key.data(), key.size()));
  return start && *start < cutoffMs() - kBlockMs;
}

bool Retention::Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*,
                       bool*) const {
  return expired(key);
}

bool Retention::FilterMergeOperand(int, const rocksdb::Slice& key, const rocksdb::Slice&) const {
  return expired(key);
}

}  // namespace allmende::store::history
