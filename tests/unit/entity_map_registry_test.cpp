// EntityMaps in memory: lifetime bounds, expiry, pruning, tenants, and the
// limits on maps and entity ids (the oldest maps give way).
#include <gtest/gtest.h>

#include "api/entity_map_registry.h"
#include "ngsi/error.h"

using allmende::api::EntityMapRegistry;

namespace {
constexpr int64_t kNow = 1'700'000'000'000;
}

TEST(EntityMapRegistry, LifetimeIsBoundedAndExpiredMapsAreGone) {
  EntityMapRegistry r;
  auto m = r.create("", {"urn:a"}, 10 * EntityMapRegistry::kMaxLifetimeMs, kNow);
  EXPECT_EQ(m.expiresAtMs, kNow + EntityMapRegistry::kMaxLifetimeMs);
  EXPECT_TRUE(r.find("", m.id, kNow));
  EXPECT_FALSE(r.find("other", m.id, kNow)) << "tenants are separate";
  EXPECT_TRUE(r.expire("", m.id, kNow + 5, kNow));
  EXPECT_FALSE(r.find("", m.id, kNow + 5));
  EXPECT_FALSE(r.remove("", m.id, kNow + 5));
}

TEST(EntityMapRegistry, PruneKeepsTheGivenEntities) {
  EntityMapRegistry r;
  auto m = r.create("t", {"urn:a", "urn:b"}, 1000, kNow);
  EXPECT_TRUE(r.prune("t", m.id, [](const std::string& id) { return id == "urn:b"; }, kNow));
  EXPECT_EQ(r.find("t", m.id, kNow)->entityIds, std::vector<std::string>{"urn:b"});
}

TEST(EntityMapRegistry, PruneKeepsEachEntitysSources) {
  EntityMapRegistry r;
  auto m = r.create("t", {"urn:a", "urn:b", "urn:c"}, 1000, kNow, {{"@none"}, {"urn:reg:1"}, {"@none", "urn:reg:2"}});
  EXPECT_EQ(m.sourcesOf(1), std::vector<std::string>{"urn:reg:1"});
  EXPECT_TRUE(r.prune("t", m.id, [](const std::string& id) { return id != "urn:b"; }, kNow));
  auto kept = r.find("t", m.id, kNow);
  EXPECT_EQ(kept->entityIds, (std::vector<std::string>{"urn:a", "urn:c"}));
  EXPECT_EQ(kept->sourcesOf(1), (std::vector<std::string>{"@none", "urn:reg:2"}));
  auto local = r.create("t", {"urn:a"}, 1000, kNow);
  EXPECT_EQ(local.sourcesOf(0), std::vector<std::string>{"@none"}) << "no sources: held here";
}

TEST(EntityMapRegistry, OldestMapsGiveWayToLimits) {
  EntityMapRegistry r(2, 5);
  auto a = r.create("", {"urn:1", "urn:2"}, 1000, kNow);
  auto b = r.create("", {"urn:3"}, 1000, kNow);
  auto c = r.create("", {"urn:4"}, 1000, kNow);  // a third map: the oldest goes
  EXPECT_FALSE(r.find("", a.id, kNow));
  EXPECT_TRUE(r.find("", b.id, kNow) && r.find("", c.id, kNow));
  auto d = r.create("", {"urn:5", "urn:6", "urn:7", "urn:8"}, 1000, kNow);  // 2 + 4 ids > 5: b goes
  EXPECT_FALSE(r.find("", b.id, kNow));
  EXPECT_TRUE(r.find("", c.id, kNow) && r.find("", d.id, kNow));
  EXPECT_THROW(r.create("", {"1", "2", "3", "4", "5", "6"}, 1000, kNow), allmende::ngsi::Error);
}
