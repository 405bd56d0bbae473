// EntityMaps in memory and in the store: lifetime bounds, expiry, pruning,
// tenants, the limits on maps and entity ids (the oldest maps give way), and
// what a registry on the same store loads again.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "api/entity_map_registry.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "store/embedded/rocks_store.h"

using allmende::api::EntityMapRegistry;

namespace {
constexpr int64_t kNow = 1'700'000'000'000;

// A store of its own in a temporary directory, removed afterwards.
struct Stored {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("allmende-entitymap-test-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
  std::unique_ptr<allmende::store::Store> store =
      allmende::store::openEmbeddedStore({path.string(), false}, allmende::ngsi::entityMeta);
  ~Stored() {
    store.reset();
    std::filesystem::remove_all(path);
  }
};
}  // namespace

TEST(EntityMapRegistry, LifetimeIsBoundedAndExpiredMapsAreGone) {
  Stored s;
  EntityMapRegistry r(*s.store);
  auto m = r.create("", {"urn:a"}, 10 * EntityMapRegistry::kMaxLifetimeMs, kNow);
  EXPECT_EQ(m.expiresAtMs, kNow + EntityMapRegistry::kMaxLifetimeMs);
  EXPECT_TRUE(r.find("", m.id, kNow));
  EXPECT_FALSE(r.find("other", m.id, kNow)) << "tenants are separate";
  EXPECT_TRUE(r.expire("", m.id, kNow + 5, kNow));
  EXPECT_FALSE(r.find("", m.id, kNow + 5));
  EXPECT_FALSE(r.remove("", m.id, kNow + 5));
}

TEST(EntityMapRegistry, PruneKeepsTheGivenEntities) {
  Stored s;
  EntityMapRegistry r(*s.store);
  auto m = r.create("t", {"urn:a", "urn:b"}, 1000, kNow);
  EXPECT_TRUE(r.prune("t", m.id, [](const std::string& id) { return id == "urn:b"; }, kNow));
  EXPECT_EQ(r.find("t", m.id, kNow)->entityIds, std::vector<std::string>{"urn:b"});
}

TEST(EntityMapRegistry, PruneKeepsEachEntitysSources) {
  Stored s;
  EntityMapRegistry r(*s.store);
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
  Stored s;
  EntityMapRegistry r(*s.store, 2, 5);
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

TEST(EntityMapRegistry, LiveMapsAreLoadedFromTheStoreAndExpiredOnesDeleted) {
  Stored s;
  auto now = allmende::ngsi::nowMs();
  std::string kept, pruned, gone;
  {
    EntityMapRegistry r(*s.store);
    kept = r.create("t", {"urn:a", "urn:b"}, 60'000, now, {{"@none"}, {"urn:reg:1"}}).id;
    pruned = r.create("t", {"urn:a", "urn:b"}, 60'000, now).id;
    EXPECT_TRUE(r.prune("t", pruned, [](const std::string& id) { return id == "urn:b"; }, now));
    gone = r.create("t", {"urn:c"}, 60'000, now).id;
    EXPECT_TRUE(r.remove("t", gone, now));
    r.create("t", {"urn:d"}, 1, now - 10);  // expired already
  }
  EntityMapRegistry again(*s.store);
  auto k = again.find("t", kept, now);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->entityIds, (std::vector<std::string>{"urn:a", "urn:b"}));
  EXPECT_EQ(k->sourcesOf(1), std::vector<std::string>{"urn:reg:1"});
  EXPECT_EQ(again.find("t", pruned, now)->entityIds, std::vector<std::string>{"urn:b"});
  EXPECT_FALSE(again.find("t", gone, now));
  EXPECT_EQ(s.store->documents(allmende::store::DocumentKind::EntityMap).size(), 2u) << "the expired one is deleted";
}
