// History retention: the compaction filter drops instances older than the
// retention (by their time, whatever their recording time) and keeps recent
// instances and entity records.
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
    return retention.Filter(0, key, "", &changed, &valueChanged);
  };
  EXPECT_TRUE(dropped(history::instanceKey(prefix, now - 7200 * 1000, now, 1)))
      << "observed two hours ago, recorded now";
  EXPECT_TRUE(dropped(history::instanceKey(prefix, -5, -5, 0)));
  EXPECT_FALSE(dropped(history::instanceKey(prefix, now - 60 * 1000, now - 7200 * 1000, 2)));
  EXPECT_FALSE(dropped(history::entityRecordKey("t", "urn:e:1")));
}
