// History retention: the compaction filter drops blocks (and merge operands
// for them) that end before the retention's cutoff, and keeps the block the
// cutoff falls in, later ones and entity records.
#include <gtest/gtest.h>

#include <chrono>

#include "store/embedded/history_codec.h"
#include "store/embedded/history_retention.h"

using namespace allmende::store;

TEST(HistoryRetention, DropsOnlyInstancesOlderThanTheRetention) {
  history::Retention retention(3600 * 1000);
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  EXPECT_NEAR(static_cast<double>(retention.cutoffMs()), static_cast<double>(now - 3600 * 1000),
              60000.0);
  auto prefix = history::seriesPrefix("t", "urn:e:1", "https://example.org/speed", "");
  auto dropped = [&](const std::string& key) {
    std::string changed;
    bool valueChanged = false;
    bool value = retention.Filter(0, key, "", &changed, &valueChanged);
    EXPECT_EQ(value, retention.FilterMergeOperand(0, key, "")) << "operands as values";
    return value;
  };
  auto cutoff = retention.cutoffMs();
  EXPECT_TRUE(dropped(history::blockKey(prefix, history::blockStart(cutoff) - 2 * history::kBlockMs)));
  EXPECT_TRUE(dropped(history::blockKey(prefix, -3'600'000)));
  EXPECT_FALSE(dropped(history::blockKey(prefix, history::blockStart(cutoff) + history::kBlockMs)));
  EXPECT_FALSE(dropped(history::blockKey(prefix, history::blockStart(now))));
  EXPECT_FALSE(dropped(history::entityRecordKey("t", "urn:e:1")));
}
