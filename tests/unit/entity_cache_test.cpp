// The entity cache: values found after add and put, erased, evicted within its
// capacity (an entry in use outlives those not used since), and a read's value
// refused when a write came between the read's find and its add.
#include <string>

#include <gtest/gtest.h>

#include "store/embedded/entity_cache.h"

using allmende::store::EntityCache;

TEST(EntityCache, FindsWhatWasAddedOrPutAndNotWhatWasErased) {
  EntityCache cache(1 << 20);
  EntityCache::Ticket t = 0;
  EXPECT_EQ(cache.find("a", t), nullptr);
  cache.add("a", "one", t);
  ASSERT_NE(cache.find("a", t), nullptr);
  EXPECT_EQ(cache.find("a", t)->value(), "one");
  cache.put("a", "two");
  EXPECT_EQ(cache.find("a", t)->value(), "two");
  cache.erase("a");
  EXPECT_EQ(cache.find("a", t), nullptr);
  cache.put("b", "three");
  cache.clear();
  EXPECT_EQ(cache.find("b", t), nullptr);
}

TEST(EntityCache, RefusesAReadThatAWriteOvertook) {
  EntityCache cache(1 << 20);
  EntityCache::Ticket before = 0;
  EXPECT_EQ(cache.find("k", before), nullptr);  // a read begins: not cached
  cache.put("k", "new");                        // a write lands meanwhile
  cache.erase("k");                             // (and even goes again)
  cache.add("k", "old", before);                // the read's older value
  EntityCache::Ticket t = 0;
  EXPECT_EQ(cache.find("k", t), nullptr);
  cache.add("k", "current", t);  // a read after the writes is kept
  EXPECT_EQ(cache.find("k", t)->value(), "current");
}

TEST(EntityCache, KeepsWithinItsCapacityDroppingWhatWasNotUsedSince) {
  EntityCache cache(16 * 4096);  // 4 KiB per shard
  std::string value(1000, 'x');
  EntityCache::Ticket t = 0;
  cache.put("hot", value);
  for (int i = 0; i < 2000; ++i) {
    cache.put("key" + std::to_string(i), value);
    // Found again and again, it stays.
    ASSERT_NE(cache.find("hot", t), nullptr) << "after key" << i;
  }
  int kept = 0;
  for (int i = 0; i < 2000; ++i) kept += cache.find("key" + std::to_string(i), t) != nullptr;
  EXPECT_GT(kept, 16);
  EXPECT_LE(kept, 16 * 4);                       // at most four entries of ~1.1 KB fit a shard
  EXPECT_NE(cache.find("key1999", t), nullptr);  // the last written stays
  EXPECT_EQ(cache.find("key0", t), nullptr);     // the first went
  cache.put("huge", std::string(8192, 'y'));     // larger than a shard: not kept
  EXPECT_EQ(cache.find("huge", t), nullptr);
  EntityCache none(0);
  none.put("a", "b");
  EXPECT_EQ(none.find("a", t), nullptr);
}
