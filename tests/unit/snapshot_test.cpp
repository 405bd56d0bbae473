// Snapshots: the status per-query results add up to, the stored form, and the
// registry (unique ids, fills that lose their snapshot, repair at start,
// expiry) over a real embedded store.
#include <filesystem>

#include <gtest/gtest.h>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "snapshots/registry.h"
#include "store/embedded/rocks_store.h"

namespace json = boost::json;
using namespace allmende;
using snapshots::Snapshot;

namespace {

json::array results(std::initializer_list<std::string_view> statuses) {
  json::array out;
  for (auto s : statuses) out.push_back(json::object{{"resultStatus", s}});
  return out;
}

class SnapshotRegistry : public ::testing::Test {
 protected:
  std::filesystem::path dir_ = std::filesystem::path(::testing::TempDir()) /
                               ("allmende-snapshot-test-" + std::to_string(::getpid()));
  std::unique_ptr<store::Store> store_ = open();

  ~SnapshotRegistry() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<store::Store> open() { return store::openEmbeddedStore({dir_.string(), false}, ngsi::entityMeta); }
  void reopen() {
    store_.reset();
    store_ = open();
  }
  void writeEntity(const std::string& storeTenant) {
    store_->modifyEntities(storeTenant, {{"urn:e", [](const std::optional<store::Entity>&) {
                                            return std::optional(store::EntityWrite{
                                                store::EntityWrite::Kind::Put,
                                                {{"id", "urn:e"}, {"type", json::array{"urn:T"}}, {"attrs", json::object{}}},
                                                {}});
                                          }}});
  }
  // A snapshot of tenant "city" whose store tenant holds one entity.
  Snapshot filled(std::string id) {
    Snapshot s;
    s.tenant = "city";
    s.id = std::move(id);
    s.storeTenant = snapshots::Registry::newStoreTenant();
    s.createdAtMs = s.modifiedAtMs = s.lastUsedAtMs = ngsi::nowMs();
    writeEntity(s.storeTenant);
    return s;
  }
};

}  // namespace

TEST(Snapshot, StatusAddsUpTheQueryResults) {
  using namespace snapshots::status;
  EXPECT_EQ(snapshots::overallStatus(results({success, success})), success);
  EXPECT_EQ(snapshots::overallStatus(results({success, empty})), partial);
  EXPECT_EQ(snapshots::overallStatus(results({failed, success})), partial);
  EXPECT_EQ(snapshots::overallStatus(results({empty, empty})), empty);
  EXPECT_EQ(snapshots::overallStatus(results({empty, failed})), failed);
}

TEST(Snapshot, StoredFormRoundTripsAndRendersTimesAsText) {
  Snapshot s;
  s.tenant = "city";
  s.id = "urn:ngsi-ld:Snapshot:q4";
  s.storeTenant = ".snapshot:1";
  s.queries = json::array{json::object{{"type", "Query"}}};
  s.status = "partial";
  s.queryDetails = results({"success", "empty"});
  s.priority = 8;
  s.lifetime = "P1D";
  s.createdAtMs = 1000;
  s.modifiedAtMs = 2000;
  s.lastUsedAtMs = 3000;
  s.expiresAtMs = 86401000;
  auto back = snapshots::parseStored({s.tenant, s.id, snapshots::serialize(s)});
  EXPECT_EQ(snapshots::render(back), snapshots::render(s));
  EXPECT_EQ(back.storeTenant, ".snapshot:1");
  EXPECT_EQ(back.expiresAtMs, 86401000);
  auto shown = snapshots::render(s);
  EXPECT_EQ(shown.at("createdAt"), "1970-01-01T00:00:01.000Z");
  EXPECT_FALSE(shown.contains("storeTenant"));
  EXPECT_THROW(snapshots::parseStored({"", "urn:x", "{\"snapshotStatus\": 1}"}), std::runtime_error);
}

TEST_F(SnapshotRegistry, IdsAreUniquePerTenant) {
  snapshots::Registry registry(*store_);
  auto s = filled("urn:s");
  registry.add(s);
  EXPECT_THROW(registry.add(s), ngsi::Error);
  s.tenant = "other";
  EXPECT_NO_THROW(registry.add(s));
  EXPECT_EQ(registry.list("city", ngsi::nowMs()).size(), 1u);
}

TEST_F(SnapshotRegistry, AFillWhoseSnapshotWasDeletedDropsItsCopy) {
  snapshots::Registry registry(*store_);
  auto s = filled("urn:s");
  registry.add(s);
  EXPECT_TRUE(registry.remove("city", "urn:s"));
  writeEntity(s.storeTenant);  // the fill wrote on after the delete
  ASSERT_TRUE(store_->tenantExists(s.storeTenant));
  EXPECT_FALSE(registry.finishFill(s));
  EXPECT_FALSE(store_->tenantExists(s.storeTenant));
}

TEST_F(SnapshotRegistry, StartMarksInterruptedFillsFailedAndDropsOrphans) {
  Snapshot done, interrupted, orphan;
  {
    snapshots::Registry registry(*store_);
    done = filled("urn:done");
    interrupted = filled("urn:interrupted");
    orphan = filled("urn:orphan");  // its record never written: a crash between the two
    registry.add(done);
    registry.add(interrupted);
    done.status = "success";
    ASSERT_TRUE(registry.finishFill(done));
    registry.touch("city", "urn:done", done.lastUsedAtMs + 5);
    registry.flush();
  }
  reopen();
  snapshots::Registry registry(*store_);
  auto now = ngsi::nowMs();
  EXPECT_EQ(registry.find("city", "urn:done", now)->status, "success");
  EXPECT_EQ(registry.find("city", "urn:done", now)->lastUsedAtMs, done.lastUsedAtMs + 5);
  EXPECT_EQ(registry.find("city", "urn:interrupted", now)->status, "failed");
  EXPECT_FALSE(registry.find("city", "urn:orphan", now));
  EXPECT_TRUE(store_->tenantExists(done.storeTenant));
  EXPECT_FALSE(store_->tenantExists(interrupted.storeTenant));
  EXPECT_FALSE(store_->tenantExists(orphan.storeTenant));
}

TEST_F(SnapshotRegistry, AnExpiredSnapshotIsDeletedWhenLookedAt) {
  snapshots::Registry registry(*store_);
  auto s = filled("urn:s");
  s.expiresAtMs = s.createdAtMs + 1000;
  registry.add(s);
  EXPECT_TRUE(registry.find("city", "urn:s", s.createdAtMs + 999));
  EXPECT_FALSE(registry.find("city", "urn:s", s.createdAtMs + 1000));
  EXPECT_FALSE(store_->tenantExists(s.storeTenant));
  EXPECT_TRUE(store_->documents(store::DocumentKind::Snapshot).empty());
  EXPECT_FALSE(registry.update("city", "urn:s", [](Snapshot&) {}));
}
