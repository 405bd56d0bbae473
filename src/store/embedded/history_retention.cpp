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

bool Retention::Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*,
                       bool*) const {
  auto time = instanceTimeOf(std::string_view(key.data(), key.size()));
  return time && *time < cutoffMs();
}

}  // namespace allmende::store::history
