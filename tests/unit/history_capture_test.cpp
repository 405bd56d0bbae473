// History capture: which instances an entity change records (new, changed,
// deleted, per datasetId; the scope), their times, and the entity record.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "ngsi/history_capture.h"

namespace json = boost::json;
using namespace allmende;

namespace {

json::object entity(json::object attrs, json::value scope = nullptr) {
  json::object e;
  e["id"] = "urn:a";
  e["type"] = json::array{"urn:T"};
  e["createdAt"] = 5;
  e["attrs"] = std::move(attrs);
  if (!scope.is_null()) e["scope"] = std::move(scope);
  return e;
}

json::object prop(double v, int64_t modified, json::object extra = {}) {
  json::object o{{"type", "Property"}, {"value", v}, {"modifiedAt", modified}};
  for (const auto& [k, x] : extra) o[k] = x;
  return o;
}

store::EntityWrite put(json::object e) {
  return {store::EntityWrite::Kind::Put, std::move(e), {}};
}

}  // namespace

TEST(HistoryCapture, RecordsNewAndChangedInstancesOnly) {
  auto before = entity({{"urn:s", json::array{prop(1, 10)}}, {"urn:f", json::array{prop(7, 10)}}});
  auto after =
      entity({{"urn:s", json::array{prop(2, 20, {{"observedAt", "2020-08-01T12:03:00Z"}})}},
              {"urn:f", json::array{prop(7, 10)}},
              {"urn:n", json::array{prop(3, 20, {{"datasetId", "urn:ds"}})}}});
  auto h = ngsi::captureHistory(before, put(after), 99);
  ASSERT_EQ(h.instances.size(), 2u);
  EXPECT_EQ(h.instances[0].attribute, "urn:s");
  EXPECT_EQ(h.instances[0].timeMs, 1596283380000);  // observedAt
  EXPECT_EQ(h.instances[0].recordedMs, 20);         // modifiedAt
  EXPECT_EQ(h.instances[1].attribute, "urn:n");
  EXPECT_EQ(h.instances[1].datasetId, "urn:ds");
  EXPECT_EQ(h.instances[1].timeMs, 20);
  ASSERT_TRUE(h.entity);
  EXPECT_EQ(h.entity->types, std::vector<std::string>{"urn:T"});
  EXPECT_EQ(h.entity->deletedAtMs, 0);
  EXPECT_TRUE(h.entityAsBefore) << "same types and createdAt";
  after["type"] = json::array{"urn:T", "urn:U"};
  EXPECT_FALSE(ngsi::captureHistory(before, put(after), 99).entityAsBefore) << "a type added";
}

TEST(HistoryCapture, RecordsDeletionsOfInstancesAndEntities) {
  auto before =
      entity({{"urn:s", json::array{prop(1, 10), prop(2, 10, {{"datasetId", "urn:ds"}})}},
              {"urn:r", json::array{json::object{{"type", "Relationship"}, {"object", "urn:x"}}}}},
             json::array{"/a"});
  auto after = entity({{"urn:s", json::array{prop(1, 10)}}});
  auto h = ngsi::captureHistory(before, put(after), 99);
  ASSERT_EQ(h.instances.size(), 3u);
  EXPECT_EQ(h.instances[0].datasetId, "urn:ds");
  EXPECT_EQ(h.instances[0].instance.at("value"), "urn:ngsi-ld:null");
  EXPECT_EQ(h.instances[0].instance.at("deletedAt"), 99);
  EXPECT_EQ(h.instances[1].instance.at("object"), "urn:ngsi-ld:null");
  EXPECT_EQ(h.instances[2].attribute, "scope");
  EXPECT_EQ(h.instances[2].instance.at("value"), json::array());

  auto gone = ngsi::captureHistory(before, {store::EntityWrite::Kind::Delete, {}, {}}, 120);
  EXPECT_EQ(gone.instances.size(), 4u);  // every instance and the scope
  ASSERT_TRUE(gone.entity);
  EXPECT_EQ(gone.entity->deletedAtMs, 120);
  EXPECT_EQ(gone.entity->createdAtMs, 5);
  EXPECT_FALSE(gone.entityAsBefore);
}

TEST(HistoryCapture, ANewEntityRecordsEveryInstanceAndItsScope) {
  auto h = ngsi::captureHistory(
      std::nullopt, put(entity({{"urn:s", json::array{prop(1, 10)}}}, json::array{"/a"})), 10);
  ASSERT_EQ(h.instances.size(), 2u);
  EXPECT_EQ(h.instances[1].attribute, "scope");
  EXPECT_EQ(h.instances[1].instance.at("value"), json::array{"/a"});
  EXPECT_FALSE(h.entityAsBefore);
}
