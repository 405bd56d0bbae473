// The embedded store: read-modify-write, tenants, restart rebuilds indexes,
// expiry index, hosted contexts, and a failed mutator writes nothing.
#include <filesystem>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "store/embedded/rocks_store.h"

namespace json = boost::json;
using namespace allmende;

namespace {
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("allmende-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::unique_ptr<store::Store> open(const TempDir& dir) {
  return store::openEmbeddedStore({dir.path.string(), false}, ngsi::entityMeta);
}

store::Store::Mutator put(json::object e) {
  return [e](const std::optional<store::Entity>&) {
    return std::optional(store::EntityWrite{store::EntityWrite::Kind::Put, e});
  };
}
}  // namespace

TEST(Store, WritesReadsAndSurvivesReopen) {
  TempDir dir;
  {
    auto s = open(dir);
    EXPECT_FALSE(s->tenantExists("city"));
    auto change = s->modifyEntity("city", "urn:a", put({{"id", "urn:a"}, {"type", json::array{"T"}}}));
    EXPECT_TRUE(change.written);
    EXPECT_FALSE(change.before);
    EXPECT_TRUE(s->tenantExists("city"));
    EXPECT_TRUE(s->getEntity("city", "urn:a"));
    EXPECT_FALSE(s->getEntity("", "urn:a")) << "tenants are separate";
    s->putContext({"ctx1", "{}"});
  }
  auto s = open(dir);
  EXPECT_TRUE(s->tenantExists("city"));
  EXPECT_EQ(s->entityCount("city"), 1u);
  EXPECT_EQ(s->getEntity("city", "urn:a")->at("id").as_string(), "urn:a");
  ASSERT_EQ(s->contexts().size(), 1u);
  EXPECT_EQ(s->contexts()[0].id, "ctx1");
}

TEST(Store, FailedMutatorWritesNothing) {
  TempDir dir;
  auto s = open(dir);
  EXPECT_THROW(s->modifyEntity("", "urn:a",
                               [](const std::optional<store::Entity>&) -> std::optional<store::EntityWrite> {
                                 throw std::runtime_error("no");
                               }),
               std::runtime_error);
  EXPECT_FALSE(s->getEntity("", "urn:a"));
  EXPECT_FALSE(s->tenantExists("x"));
}

TEST(Store, ExpiryIndexFollowsWrites) {
  TempDir dir;
  auto s = open(dir);
  s->modifyEntity("", "urn:a", put({{"id", "urn:a"}, {"type", json::array{"T"}},
                                    {"expiresAt", "2000-01-01T00:00:00Z"}}));
  s->modifyEntity("", "urn:b", put({{"id", "urn:b"}, {"type", json::array{"T"}}}));
  auto due = s->dueForExpiry(ngsi::nowMs(), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].second, "urn:a");
  s->modifyEntity("", "urn:a", [](const std::optional<store::Entity>&) {
    return std::optional(store::EntityWrite{store::EntityWrite::Kind::Delete, {}});
  });
  EXPECT_TRUE(s->dueForExpiry(ngsi::nowMs(), 10).empty());
  EXPECT_EQ(s->entityCount(""), 1u);
}
