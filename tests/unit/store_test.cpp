// The embedded store: read-modify-write, tenants, restart rebuilds indexes,
// expiry index, hosted contexts, subscriptions and snapshots, dropping a
// tenant, a failed mutator writes nothing, and the attribute history.
#include <filesystem>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "store/embedded/entity_codec.h"
#include "store/embedded/history_codec.h"
#include "store/embedded/meta_codec.h"
#include "store/embedded/rocks_store.h"

#include <rocksdb/db.h>

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

// One mutation through Store::modifyEntities; rethrows what the mutator threw.
store::Store::Change modify(store::Store& s, std::string_view tenant, std::string id,
                            store::Store::Mutator fn) {
  auto outcomes = s.modifyEntities(tenant, {store::Store::Mutation{std::move(id), std::move(fn)}});
  if (outcomes[0].error) std::rethrow_exception(outcomes[0].error);
  return std::move(outcomes[0].change);
}

store::Store::Mutator put(json::object e) {
  return [e](const std::optional<store::Entity>&) {
    return std::optional(store::EntityWrite{store::EntityWrite::Kind::Put, e, {}});
  };
}
}  // namespace

TEST(Store, WritesReadsAndSurvivesReopen) {
  TempDir dir;
  {
    auto s = open(dir);
    EXPECT_FALSE(s->tenantExists("city"));
    auto change = modify(*s, "city", "urn:a", put({{"id", "urn:a"}, {"type", json::array{"T"}}}));
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

TEST(Store, KeyNumbersOfTheStoredFormSurviveReopen) {
  // The first write names its keys as text and has them numbered; the second
  // (and every later one) uses the numbers, which must still mean the same after a restart.
  TempDir dir;
  json::object a{{"id", "urn:a"}, {"type", json::array{"T"}}, {"attrs", json::object{{"https://x.org/p", 1.5}}}};
  json::object b{{"id", "urn:b"}, {"type", json::array{"T"}}, {"attrs", json::object{{"https://x.org/p", -2}}}};
  {
    auto s = open(dir);
    modify(*s, "", "urn:a", put(a));
    modify(*s, "", "urn:b", put(b));
    EXPECT_EQ(*s->getEntity("", "urn:b"), b);
  }
  auto s = open(dir);
  EXPECT_EQ(*s->getEntity("", "urn:a"), a);
  EXPECT_EQ(*s->getEntity("", "urn:b"), b);
  json::object c{{"id", "urn:c"}, {"attrs", json::object{{"https://x.org/q", "new key"}, {"https://x.org/p", 0}}}};
  modify(*s, "", "urn:c", put(c));
  EXPECT_EQ(*s->getEntity("", "urn:c"), c);
}

TEST(Store, DocumentsSurviveReopenApartPerKindAndMakeTheirTenantExist) {
  TempDir dir;
  using store::DocumentKind;
  {
    auto s = open(dir);
    s->putDocument(DocumentKind::Subscription, {"ward7", "urn:s1", "{\"a\":1}"});
    s->putDocument(DocumentKind::Subscription, {"", "urn:s2", "{}"});
    s->putDocument(DocumentKind::Subscription, {"", "urn:s3", "{}"});
    s->deleteDocument(DocumentKind::Subscription, "", "urn:s3");
    s->putDocument(DocumentKind::Snapshot, {"ward8", "urn:s1", "{\"p\":1}"});
    s->putDocument(DocumentKind::Snapshot, {"", "urn:s2", "{}"});
    s->deleteDocument(DocumentKind::Snapshot, "", "urn:s2");
    s->putDocument(DocumentKind::Registration, {"ward9", "urn:s1", "{\"r\":1}"});
    s->putDocument(DocumentKind::RegistrationSubscription, {"ward9", "urn:s1", "{\"q\":1}"});
    EXPECT_TRUE(s->tenantExists("ward7"));
    EXPECT_TRUE(s->tenantExists("ward8"));
    EXPECT_TRUE(s->tenantExists("ward9"));
  }
  auto s = open(dir);
  EXPECT_TRUE(s->tenantExists("ward7"));
  auto all = s->documents(DocumentKind::Subscription);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].tenant, "");
  EXPECT_EQ(all[0].id, "urn:s2");
  EXPECT_EQ(all[1].tenant, "ward7");
  EXPECT_EQ(all[1].id, "urn:s1");
  EXPECT_EQ(all[1].document, "{\"a\":1}");
  auto snapshots = s->documents(DocumentKind::Snapshot);  // kept apart from the subscriptions
  ASSERT_EQ(snapshots.size(), 1u);
  EXPECT_EQ(snapshots[0].tenant, "ward8");
  EXPECT_EQ(snapshots[0].document, "{\"p\":1}");
  EXPECT_EQ(s->documents(DocumentKind::Registration).at(0).document, "{\"r\":1}");
  EXPECT_EQ(s->documents(DocumentKind::RegistrationSubscription).at(0).document, "{\"q\":1}");
  s->dropTenant("ward9");
  EXPECT_TRUE(s->documents(DocumentKind::Registration).empty());
  EXPECT_TRUE(s->documents(DocumentKind::RegistrationSubscription).empty());
}

TEST(Store, DropTenantRemovesEverythingOfThatTenantOnly) {
  TempDir dir;
  auto entity = [](const char* id) {
    return [id](const std::optional<store::Entity>&) {
      store::EntityWrite w{store::EntityWrite::Kind::Put, {{"id", id}, {"type", json::array{"urn:T"}},
                                                           {"expiresAt", "2000-01-01T00:00:00Z"}}, {}};
      store::HistoryInstance h;
      h.attribute = "urn:speed";
      h.timeMs = h.recordedMs = 5;
      h.instance = json::object{{"type", "Property"}, {"value", 1}, {"modifiedAt", 5}};
      w.history = store::HistoryWrite{{h}, store::HistoryEntity{id, {"urn:T"}, 1, 0}, false};
      return std::optional(std::move(w));
    };
  };
  {
    auto s = open(dir);
    for (const char* tenant : {".copy", ".copy2"}) {
      modify(*s, tenant, "urn:a", entity("urn:a"));
      s->putDocument(store::DocumentKind::Subscription, {tenant, "urn:s", "{}"});
      s->putDocument(store::DocumentKind::Snapshot, {tenant, "urn:p", "{}"});
    }
    s->dropTenant(".copy");
    EXPECT_FALSE(s->tenantExists(".copy"));
    EXPECT_FALSE(s->getEntity(".copy", "urn:a"));
    EXPECT_FALSE(s->historyEntity(".copy", "urn:a"));
    EXPECT_TRUE(s->historyAttributes(".copy", "urn:a").empty());
    EXPECT_EQ(s->entityCount(".copy"), 0u);
    for (auto [tenant, id] : s->dueForExpiry(ngsi::nowMs(), 10)) EXPECT_EQ(tenant, ".copy2");
    EXPECT_TRUE(s->getEntity(".copy2", "urn:a"));
  }
  auto s = open(dir);
  EXPECT_EQ(s->tenants(), std::vector<std::string>{".copy2"});
  EXPECT_FALSE(s->getEntity(".copy", "urn:a"));
  EXPECT_TRUE(s->historyEntity(".copy2", "urn:a"));
  EXPECT_FALSE(s->historyEntity(".copy", "urn:a"));
  ASSERT_EQ(s->documents(store::DocumentKind::Subscription).size(), 1u);
  EXPECT_EQ(s->documents(store::DocumentKind::Subscription)[0].tenant, ".copy2");
  ASSERT_EQ(s->documents(store::DocumentKind::Snapshot).size(), 1u);
  EXPECT_EQ(s->documents(store::DocumentKind::Snapshot)[0].tenant, ".copy2");
  EXPECT_EQ(s->dueForExpiry(ngsi::nowMs(), 10).size(), 1u);
}

TEST(Store, FailedMutatorWritesNothing) {
  TempDir dir;
  auto s = open(dir);
  EXPECT_THROW(modify(*s, "", "urn:a",
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
  modify(*s, "", "urn:a", put({{"id", "urn:a"}, {"type", json::array{"T"}},
                                    {"expiresAt", "2000-01-01T00:00:00Z"}}));
  modify(*s, "", "urn:b", put({{"id", "urn:b"}, {"type", json::array{"T"}}}));
  auto due = s->dueForExpiry(ngsi::nowMs(), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].second, "urn:a");
  modify(*s, "", "urn:a", [](const std::optional<store::Entity>&) {
    return std::optional(store::EntityWrite{store::EntityWrite::Kind::Delete, {}, {}});
  });
  EXPECT_TRUE(s->dueForExpiry(ngsi::nowMs(), 10).empty());
  EXPECT_EQ(s->entityCount(""), 1u);
}

TEST(Store, IndexRecordsRoundTrip) {
  store::EntityMeta meta;
  meta.types = {"urn:T"};
  meta.attrs = {{"urn:a", "Property"}, {"urn:loc", "GeoProperty"}};
  meta.geometries = {{"urn:loc", query::GeoBox{13.4, 52.5, 13.5, 52.6}}};
  meta.numbers = {{"urn:a", 21.5}, {"urn:a", -3}, {"urn:b", 7, true}};
  meta.strings = {{"urn:s", "ok"}, {"urn:s", ""}, {"urn:r", "urn:x"}, {"urn:d", "2026-01-01"}};
  meta.times = {{"urn:d", 1767225600000}};
  meta.observedAt = {{"urn:a", 1767225600001}, {"urn:b", -5}};
  meta.createdAtMs = 1767225600002;
  meta.modifiedAtMs = 1767225600003;
  meta.expiresAtMs = 1234;
  auto expectSame = [&](store::EntityMeta back) {
    EXPECT_EQ(back.types, meta.types);
    EXPECT_EQ(back.attrs, meta.attrs);
    ASSERT_EQ(back.geometries.size(), 1u);
    EXPECT_EQ(back.geometries[0].first, "urn:loc");
    EXPECT_EQ(back.geometries[0].second.minLon, 13.4);
    EXPECT_EQ(back.geometries[0].second.maxLat, 52.6);
    EXPECT_EQ(back.numbers, meta.numbers);
    EXPECT_EQ(back.strings, meta.strings);
    EXPECT_EQ(back.times, meta.times);
    EXPECT_EQ(back.observedAt, meta.observedAt);
    EXPECT_EQ(back.createdAtMs, meta.createdAtMs);
    EXPECT_EQ(back.modifiedAtMs, meta.modifiedAtMs);
    EXPECT_EQ(back.expiresAtMs, 1234);
  };
  store::KeyDictionary keys;
  // The names of a decoded record outlive the buffer it was read from.
  auto decodeCopy = [&keys](std::string record) {
    auto back = store::decodeMeta(record, keys);
    record.assign(record.size(), 'x');
    return back;
  };
  auto none = keys.snapshot();
  store::binary::KeyWriter asText(*none);
  auto withText = store::encodeMeta(meta, asText);  // names as text
  expectSame(decodeCopy(withText));
  keys.assign(asText.unnumbered(), [](const auto&) {});
  auto numbered = keys.snapshot();
  store::binary::KeyWriter asNumbers(*numbered);
  auto withNumbers = store::encodeMeta(meta, asNumbers);
  EXPECT_TRUE(asNumbers.unnumbered().empty());
  EXPECT_LT(withNumbers.size(), withText.size());
  expectSame(store::decodeMeta(withNumbers, keys));
  // Records of earlier versions are read: without strings and times (binary, version B3) ...
  auto leftOut = meta;
  leftOut.strings.clear();
  leftOut.times.clear();
  leftOut.observedAt.clear();
  leftOut.createdAtMs = leftOut.modifiedAtMs = 0;
  auto current = store::encodeMeta(leftOut, asNumbers);
  // The last seven bytes: no strings, times, observedAt (three 0), createdAt and modifiedAt 0, expiresAtMs (2 bytes).
  ASSERT_EQ(current.substr(current.size() - 7, 5), std::string(5, '\0'));
  auto b3 = "\xB3" + current.substr(1, current.size() - 8) + current.substr(current.size() - 2);
  auto withoutStrings = store::decodeMeta(b3, keys);
  EXPECT_TRUE(withoutStrings.strings.empty() && withoutStrings.times.empty() && withoutStrings.observedAt.empty());
  EXPECT_EQ(withoutStrings.modifiedAtMs, 0);
  EXPECT_FALSE(store::isCurrentMeta(b3));
  auto restore = [&meta](store::EntityMeta& m) {
    m.strings = meta.strings;
    m.times = meta.times;
    m.observedAt = meta.observedAt;
    m.createdAtMs = meta.createdAtMs;
    m.modifiedAtMs = meta.modifiedAtMs;
  };
  restore(withoutStrings);
  expectSame(withoutStrings);
  // ... and as JSON text, where no number is sole either.
  auto earlier = decodeCopy(
      R"([["urn:T"],[["urn:a","Property"],["urn:loc","GeoProperty"]],[["urn:loc",13.4,52.5,13.5,52.6]],)"
      R"([["urn:a",21.5],["urn:a",-3],["urn:b",7]],1234])");
  EXPECT_FALSE(earlier.numbers.back().sole);
  EXPECT_TRUE(earlier.strings.empty());
  earlier.numbers.back().sole = true;
  restore(earlier);
  expectSame(earlier);
  EXPECT_TRUE(store::isCurrentMeta(withNumbers));
  EXPECT_FALSE(store::isCurrentMeta("[1]"));
  EXPECT_THROW(store::decodeMeta("[1,2", keys), std::runtime_error);
  for (size_t n = 0; n < withNumbers.size(); ++n)
    EXPECT_THROW(store::decodeMeta(withNumbers.substr(0, n), keys), std::runtime_error) << n;
}

TEST(Store, QueriesSeeTheIndexesAfterReopen) {
  TempDir dir;
  auto entity = [](const std::string& id, double lon, double temperature) {
    return json::parse(R"({"id":")" + id + R"(","type":["urn:T"],"attrs":{
        "urn:loc":[{"type":"GeoProperty","value":{"type":"Point","coordinates":[)" +
                       std::to_string(lon) + R"(,52.5]}}],
        "urn:t":[{"type":"Property","value":)" + std::to_string(temperature) + "}]}}")
        .as_object();
  };
  {
    auto s = open(dir);
    modify(*s, "", "urn:a", put(entity("urn:a", 13.40, 10)));
    modify(*s, "", "urn:b", put(entity("urn:b", 13.41, 30)));
  }
  auto s = open(dir);
  store::EntityQuery q;
  q.geoProperty = "urn:loc";
  q.geoBox = query::GeoBox{13.405, 52.4, 13.42, 52.6};
  auto page = s->queryEntities("", q);
  ASSERT_EQ(page.entities.size(), 1u);
  EXPECT_EQ(page.entities[0].at("id").as_string(), "urn:b");
  store::EntityQuery byNumber;
  byNumber.numberRanges.push_back({"urn:t", 0, 20});
  page = s->queryEntities("", byNumber);
  ASSERT_EQ(page.entities.size(), 1u);
  EXPECT_EQ(page.entities[0].at("id").as_string(), "urn:a");
  // Entries loaded at open are found by id for updates, deletions and id queries.
  modify(*s, "", "urn:b", put(entity("urn:b", 13.41, 15)));
  page = s->queryEntities("", byNumber);
  EXPECT_EQ(page.entities.size(), 2u);
  modify(*s, "", "urn:a", [](const std::optional<store::Entity>&) {
    return std::optional(store::EntityWrite{store::EntityWrite::Kind::Delete, {}, {}});
  });
  store::EntityQuery byId;
  byId.ids = std::vector<std::string>{"urn:a", "urn:b"};
  page = s->queryEntities("", byId);
  ASSERT_EQ(page.entities.size(), 1u);
  EXPECT_EQ(page.entities[0].at("id").as_string(), "urn:b");
  EXPECT_EQ(s->entityCount(""), 1u);
}

// Earlier versions kept entities as JSON text and their index records under
// "M" keys (or had none): opening moves the records into the entity values.
TEST(Store, OpensDataDirectoriesOfEarlierVersions) {
  TempDir dir;
  std::string a = "E" + std::string(1, '\0') + "city" + std::string(1, '\0') + "urn:a";
  std::string b = "E" + std::string(1, '\0') + "city" + std::string(1, '\0') + "urn:b";
  std::string metaOfA = "M" + a.substr(1);
  // Written as an earlier version would; read back read-only (which may leave
  // out the "history" column family the store has added meanwhile).
  auto raw = [&dir](bool create) {
    rocksdb::Options options;
    options.create_if_missing = create;
    rocksdb::DB* db = nullptr;
    EXPECT_TRUE((create ? rocksdb::DB::Open(options, dir.path.string(), &db)
                        : rocksdb::DB::OpenForReadOnly(options, dir.path.string(), &db))
                    .ok());
    return std::unique_ptr<rocksdb::DB>(db);
  };
  {
    auto db = raw(true);
    db->Put({}, "T" + std::string(1, '\0') + "city", "");
    db->Put({}, a, R"({"id":"urn:a","type":["urn:T"],"attrs":{"urn:t":[{"type":"Property","value":10}],)"
                   R"("urn:s":[{"type":"Property","value":"ok"}]}})");
    db->Put({}, b, R"({"id":"urn:b","type":["urn:U"],"attrs":{}})");
    db->Put({}, metaOfA, R"([["urn:T"],[["urn:t","Property"],["urn:s","Property"]],[],[["urn:t",10]],0])");
    db->Put({}, "S" + std::string(1, '\0') + "indexRecords", "1");
  }
  {
    auto s = open(dir);
    store::EntityQuery byType;
    byType.types = std::vector<std::vector<std::string>>{{"urn:T"}};
    auto page = s->queryEntities("city", byType);
    ASSERT_EQ(page.entities.size(), 1u);
    EXPECT_EQ(page.entities[0].at("id").as_string(), "urn:a");
    store::EntityQuery byNumber;
    byNumber.numberRanges.push_back({"urn:t", 5, 20});
    EXPECT_EQ(s->queryEntities("city", byNumber).entities.size(), 1u);
    store::EntityQuery byString;  // records of earlier versions had no strings: made anew from the entity
    byString.textRanges.push_back({"urn:s", "ok", "ok", false, false, {}});
    EXPECT_EQ(s->queryEntities("city", byString).entities.size(), 1u);
    EXPECT_EQ(s->entityCount("city"), 2u);
    EXPECT_EQ(s->getEntity("city", "urn:b")->at("type").as_array()[0].as_string(), "urn:U");
  }
  {
    auto db = raw(false);
    std::string value;
    EXPECT_TRUE(db->Get({}, metaOfA, &value).IsNotFound());
    ASSERT_TRUE(db->Get({}, a, &value).ok());
    EXPECT_TRUE(store::factsOf(value));
  }
  auto s = open(dir);  // and again, now without moving anything
  EXPECT_EQ(s->entityCount("city"), 2u);
}

TEST(Store, ATypeEveryEntityHasStillSelectsAndOtherTypesNarrow) {
  TempDir dir;
  auto s = open(dir);
  auto entity = [](const std::string& id, const std::string& types, double lon) {
    return json::parse(R"({"id":")" + id + R"(","type":)" + types + R"(,"attrs":{
        "urn:loc":[{"type":"GeoProperty","value":{"type":"Point","coordinates":[)" +
                       std::to_string(lon) + R"(,52.5]}}]}})")
        .as_object();
  };
  modify(*s, "", "urn:a", put(entity("urn:a", R"(["urn:T"])", 13.40)));
  modify(*s, "", "urn:b", put(entity("urn:b", R"(["urn:T","urn:U"])", 13.41)));
  modify(*s, "", "urn:c", put(entity("urn:c", R"(["urn:T"])", 13.42)));
  auto ids = [&](std::vector<std::vector<std::string>> types, bool geo) {
    store::EntityQuery q;
    q.types = std::move(types);
    if (geo) {
      q.geoProperty = "urn:loc";
      q.geoBox = query::GeoBox{13.405, 52.4, 13.43, 52.6};
    }
    std::vector<std::string> out;
    for (const auto& e : s->queryEntities("", q).entities) out.emplace_back(e.at("id").as_string());
    return out;
  };
  EXPECT_EQ(ids({{"urn:T"}}, false), (std::vector<std::string>{"urn:a", "urn:b", "urn:c"}));
  EXPECT_EQ(ids({{"urn:T"}}, true), (std::vector<std::string>{"urn:b", "urn:c"}));
  EXPECT_EQ(ids({{"urn:U"}}, true), (std::vector<std::string>{"urn:b"}));
  EXPECT_EQ(ids({{"urn:T", "urn:U"}}, false), (std::vector<std::string>{"urn:b"}));
  EXPECT_EQ(ids({{"urn:X"}}, false), (std::vector<std::string>{}));
}

TEST(Store, AttributeIndexAndDiscoveryFollowShapes) {
  // Entities of three shapes: attribute queries merge the shapes in id order,
  // discovery counts each entity once, and a shape whose last entity goes is gone.
  TempDir dir;
  auto s = open(dir);
  auto entity = [](const std::string& id, const std::string& type, const std::string& attrs) {
    return json::parse(R"({"id":")" + id + R"(","type":[")" + type + R"("],"attrs":{)" + attrs + "}}").as_object();
  };
  const std::string p = R"("urn:p":[{"type":"Property","value":1}])";
  const std::string r = R"("urn:r":[{"type":"Relationship","object":"urn:x"}])";
  modify(*s, "", "urn:d", put(entity("urn:d", "urn:T", p)));
  modify(*s, "", "urn:a", put(entity("urn:a", "urn:T", p + "," + r)));
  modify(*s, "", "urn:c", put(entity("urn:c", "urn:U", r)));
  modify(*s, "", "urn:b", put(entity("urn:b", "urn:T", p)));
  auto withAttrs = [&](std::vector<std::string> attrs, std::optional<std::vector<std::vector<std::string>>> types) {
    store::EntityQuery q;
    q.anyAttrs = std::move(attrs);
    q.types = std::move(types);
    std::vector<std::string> out;
    for (const auto& e : s->queryEntities("", q).entities) out.emplace_back(e.at("id").as_string());
    return out;
  };
  EXPECT_EQ(withAttrs({"urn:p"}, std::nullopt), (std::vector<std::string>{"urn:a", "urn:b", "urn:d"}));
  EXPECT_EQ(withAttrs({"urn:r"}, std::nullopt), (std::vector<std::string>{"urn:a", "urn:c"}));
  EXPECT_EQ(withAttrs({"urn:p", "urn:r"}, std::nullopt),
            (std::vector<std::string>{"urn:a", "urn:b", "urn:c", "urn:d"}));
  EXPECT_EQ(withAttrs({"urn:r"}, {{{"urn:T"}}}), (std::vector<std::string>{"urn:a"}));
  EXPECT_EQ(withAttrs({"urn:none"}, std::nullopt), (std::vector<std::string>{}));

  auto types = s->types("");
  ASSERT_EQ(types.size(), 2u);
  EXPECT_EQ(types["urn:T"].entityCount, 3u);
  EXPECT_EQ(types["urn:T"].attributes["urn:p"], (std::set<std::string>{"Property"}));
  EXPECT_EQ(types["urn:T"].attributes["urn:r"], (std::set<std::string>{"Relationship"}));
  EXPECT_EQ(types["urn:U"].attributes.size(), 1u);
  auto attrs = s->attributes("");
  EXPECT_EQ(attrs["urn:p"].entityCount, 3u);
  EXPECT_EQ(attrs["urn:r"].entityCount, 2u);
  EXPECT_EQ(attrs["urn:r"].types, (std::set<std::string>{"urn:T", "urn:U"}));

  // urn:a was the only entity of its shape, urn:c of type urn:U.
  auto remove = [](const std::optional<store::Entity>&) {
    return std::optional(store::EntityWrite{store::EntityWrite::Kind::Delete, {}, {}});
  };
  modify(*s, "", "urn:a", remove);
  modify(*s, "", "urn:c", remove);
  EXPECT_EQ(withAttrs({"urn:r"}, std::nullopt), (std::vector<std::string>{}));
  EXPECT_EQ(withAttrs({"urn:p"}, std::nullopt), (std::vector<std::string>{"urn:b", "urn:d"}));
  types = s->types("");
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types["urn:T"].entityCount, 2u);
  EXPECT_EQ(types["urn:T"].attributes.size(), 1u) << "urn:r left with its last entity";
  attrs = s->attributes("");
  EXPECT_FALSE(attrs.contains("urn:r"));
  EXPECT_EQ(attrs["urn:p"].entityCount, 2u);

  // A shape made again right after its only entity went, while its type and
  // attribute names stay (the index remembers the shape its last write found,
  // and must forget a dropped one).
  modify(*s, "", "urn:h", put(entity("urn:h", "urn:U", r)));
  modify(*s, "", "urn:e", put(entity("urn:e", "urn:T", p + "," + r)));
  modify(*s, "", "urn:e", remove);
  modify(*s, "", "urn:f", put(entity("urn:f", "urn:T", p + "," + r)));
  modify(*s, "", "urn:g", put(entity("urn:g", "urn:T", p + "," + r)));
  EXPECT_EQ(withAttrs({"urn:r"}, std::nullopt), (std::vector<std::string>{"urn:f", "urn:g", "urn:h"}));
  EXPECT_EQ(withAttrs({"urn:p"}, {{{"urn:T"}}}), (std::vector<std::string>{"urn:b", "urn:d", "urn:f", "urn:g"}));
  EXPECT_EQ(s->types("")["urn:T"].entityCount, 4u);
  EXPECT_EQ(s->attributes("")["urn:r"].entityCount, 3u);
}

TEST(Store, PagesOverManyShapesNeitherRepeatNorSkip) {
  // 60 entities, each of its own shape (a common attribute plus one of its own),
  // created in an order unlike their id order: paging an attribute or a type
  // query walks the merged shapes in id order.
  TempDir dir;
  auto s = open(dir);
  std::vector<std::string> expected;
  for (int i = 0; i < 60; ++i) {
    int n = (i * 37) % 60;
    std::string id = "urn:e" + std::string(n < 10 ? "0" : "") + std::to_string(n);
    expected.push_back(id);
    auto e = json::parse(R"({"id":")" + id + R"(","type":["urn:T"],"attrs":{
        "urn:p":[{"type":"Property","value":1}],
        "urn:own)" + std::to_string(n) + R"(":[{"type":"Property","value":2}]}})").as_object();
    modify(*s, "", id, put(e));
  }
  std::sort(expected.begin(), expected.end());
  // Pages of 7 of a query (by attribute, or by type), each counting all 60.
  auto pages = [&](store::EntityQuery q) {
    std::vector<std::string> paged;
    for (size_t offset = 0; offset < 70; offset += 7) {
      q.offset = offset;
      q.limit = 7;
      q.count = true;
      auto page = s->queryEntities("", q);
      EXPECT_EQ(page.total, 60u);
      for (const auto& e : page.entities) paged.emplace_back(e.at("id").as_string());
    }
    return paged;
  };
  store::EntityQuery byAttr;
  byAttr.anyAttrs = std::vector<std::string>{"urn:p"};
  EXPECT_EQ(pages(byAttr), expected);
  store::EntityQuery byType;  // the type's entities are those of its 60 shapes, merged
  byType.types = std::vector<std::vector<std::string>>{{"urn:T"}};
  EXPECT_EQ(pages(byType), expected);
  EXPECT_EQ(s->types("")["urn:T"].entityCount, 60u);
  store::EntityQuery two;
  two.anyAttrs = std::vector<std::string>{"urn:own7", "urn:own42"};
  std::vector<std::string> ids;
  for (const auto& e : s->queryEntities("", two).entities) ids.emplace_back(e.at("id").as_string());
  EXPECT_EQ(ids, (std::vector<std::string>{"urn:e07", "urn:e42"}));
  EXPECT_EQ(s->attributes("")["urn:p"].entityCount, 60u);
  EXPECT_EQ(s->types("")["urn:T"].attributes.size(), 61u);
}

TEST(Store, StatsCountEntitiesPerTenantAndTheFilesOnDisk) {
  TempDir dir;
  auto s = open(dir);
  modify(*s, "", "urn:a", put({{"id", "urn:a"}, {"type", json::array{"T"}}}));
  modify(*s, "ward7", "urn:a", put({{"id", "urn:a"}, {"type", json::array{"T"}}}));
  modify(*s, "ward7", "urn:b", put({{"id", "urn:b"}, {"type", json::array{"T"}}}));
  s->putDocument(store::DocumentKind::Subscription, {"ward8", "urn:s1", "{}"});
  auto stats = s->stats();
  using Counts = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(stats.entitiesPerTenant, (Counts{{"", 1}, {"ward7", 2}, {"ward8", 0}}));
  uintmax_t onDisk = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir.path)) onDisk += file.file_size();
  EXPECT_EQ(stats.sizeBytes, onDisk);
  EXPECT_GT(stats.unflushedBytes, 0u) << "the writes are in the memtable";
}

// History is written with the entity change, read by time range in both
// directions, listed per series, changed by instanceId, deleted, and kept
// across a reopen.
TEST(Store, HistoryIsWrittenWithTheEntityAndReadByTimeRange) {
  TempDir dir;
  auto instance = [](int64_t t, double v) {
    store::HistoryInstance h;
    h.attribute = "urn:speed";
    h.timeMs = h.recordedMs = t;
    h.instance = json::object{{"type", "Property"}, {"value", v}, {"modifiedAt", t}};
    return h;
  };
  auto write = [&](std::vector<store::HistoryInstance> instances) {
    return [instances](const std::optional<store::Entity>&) {
      store::EntityWrite w{
          store::EntityWrite::Kind::Put, {{"id", "urn:a"}, {"type", json::array{"urn:T"}}}, {}};
      w.history =
          store::HistoryWrite{instances, store::HistoryEntity{"urn:a", {"urn:T"}, 1, 0}, false};
      return std::optional(std::move(w));
    };
  };
  auto scan = [](store::Store& s, store::HistoryScan q) {
    std::vector<double> out;
    s.scanHistory("city", q, [&](store::HistoryInstance& h) {
      out.push_back(h.instance.at("value").to_number<double>());
      return true;
    });
    return out;
  };
  {
    auto s = open(dir);
    modify(*s, "city", "urn:a", write({instance(30, 3), instance(10, 1), instance(20, 2)}));
    auto other = instance(15, 9);
    other.datasetId = "urn:ds";
    modify(*s, "city", "urn:a", write({other}));
    EXPECT_EQ(scan(*s, {"urn:a", "urn:speed", ""}), (std::vector<double>{1, 2, 3}));
    store::HistoryScan range{"urn:a", "urn:speed", "", 10, 30};
    EXPECT_EQ(scan(*s, range), (std::vector<double>{1, 2}));
    range.newestFirst = true;
    EXPECT_EQ(scan(*s, range), (std::vector<double>{2, 1}));
    EXPECT_EQ(scan(*s, {"urn:a", "urn:speed", "urn:ds"}), (std::vector<double>{9}));
    auto series = s->historyAttributes("city", "urn:a");
    ASSERT_EQ(series.size(), 2u);
    EXPECT_EQ(series[0], (std::pair<std::string, std::string>{"urn:speed", ""}));
    EXPECT_EQ(series[1], (std::pair<std::string, std::string>{"urn:speed", "urn:ds"}));
    ASSERT_EQ(s->historyEntities("city").size(), 1u);
    EXPECT_TRUE(s->historyEntities("").empty()) << "tenants are separate";

    std::vector<std::tuple<double, std::string, std::optional<int64_t>>> values;
    s->scanHistoryValues("city", {"urn:a", "urn:speed", ""}, [&](store::HistoryValue& v) {
      values.emplace_back(v.value->to_number<double>(), v.kind, v.modifiedAtMs);
      return true;
    });
    EXPECT_EQ(values, (std::vector<std::tuple<double, std::string, std::optional<int64_t>>>{
                          {1, "Property", 10}, {2, "Property", 20}, {3, "Property", 30}}));

    std::string id;
    store::HistoryScan withIds{"urn:a", "urn:speed", ""};
    withIds.instanceIds = true;
    s->scanHistory("city", withIds, [&](store::HistoryInstance& h) {
      id = h.instanceId;
      return false;
    });
    EXPECT_TRUE(s->changeHistoryInstance("city", "urn:a", "urn:speed", id,
                                         [](const store::HistoryInstance& h) {
                                           auto moved = h;
                                           moved.timeMs = 40;
                                           moved.instance["value"] = 4.0;
                                           return std::optional(moved);
                                         }));
    EXPECT_EQ(scan(*s, {"urn:a", "urn:speed", ""}), (std::vector<double>{2, 3, 4}));
    EXPECT_FALSE(s->changeHistoryInstance("city", "urn:a", "urn:speed", "urn:x",
                                          [](const auto& h) { return std::optional(h); }));
    EXPECT_TRUE(s->deleteHistory("city", "urn:a", std::string("urn:speed"), std::string("urn:ds")));
    EXPECT_EQ(s->historyAttributes("city", "urn:a").size(), 1u);
  }
  auto s = open(dir);
  EXPECT_EQ(scan(*s, {"urn:a", "urn:speed", ""}), (std::vector<double>{2, 3, 4}));
  EXPECT_TRUE(s->deleteHistory("city", "urn:a", std::nullopt, std::nullopt));
  EXPECT_FALSE(s->historyEntity("city", "urn:a"));
  EXPECT_TRUE(scan(*s, {"urn:a", "urn:speed", ""}).empty());
  EXPECT_FALSE(s->deleteHistory("city", "urn:a", std::nullopt, std::nullopt));
}

// A write whose entity record is as before (HistoryWrite::entityAsBefore) leaves
// it out once the store has written it; it is written again after the entity's
// history was deleted and after a reopen, and for an entity written without
// history before (as with --history off).
TEST(Store, AnEntityRecordAsBeforeIsWrittenOnlyWhenNotStored) {
  TempDir dir;
  auto write = [](int64_t createdAt, bool withHistory) {
    return [=](const std::optional<store::Entity>&) {
      store::EntityWrite w{
          store::EntityWrite::Kind::Put, {{"id", "urn:a"}, {"type", json::array{"urn:T"}}}, {}};
      if (withHistory) {
        store::HistoryInstance h;
        h.attribute = "urn:speed";
        h.timeMs = h.recordedMs = createdAt;
        h.instance = json::object{{"type", "Property"}, {"value", 1}, {"modifiedAt", createdAt}};
        w.history = store::HistoryWrite{{h}, store::HistoryEntity{"urn:a", {"urn:T"}, createdAt, 0}, false};
        w.history->entityAsBefore = true;  // (the createdAt given tells which record is stored)
      }
      return std::optional(std::move(w));
    };
  };
  auto createdAt = [](store::Store& s) {
    auto e = s.historyEntity("city", "urn:a");
    return e ? e->createdAtMs : -1;
  };
  {
    auto s = open(dir);
    modify(*s, "city", "urn:a", write(0, false));
    EXPECT_EQ(createdAt(*s), -1) << "no history yet";
    modify(*s, "city", "urn:a", write(1, true));
    EXPECT_EQ(createdAt(*s), 1) << "written: the store had not stored it";
    modify(*s, "city", "urn:a", write(2, true));
    EXPECT_EQ(createdAt(*s), 1) << "left out: stored as it is";
    EXPECT_TRUE(s->deleteHistory("city", "urn:a", std::nullopt, std::nullopt));
    modify(*s, "city", "urn:a", write(3, true));
    EXPECT_EQ(createdAt(*s), 3) << "written again after the history was deleted";
    EXPECT_TRUE(s->deleteHistory("city", "urn:a", std::string("urn:speed"), std::nullopt));
    modify(*s, "city", "urn:a", write(4, true));
    EXPECT_EQ(createdAt(*s), 3) << "deleting an attribute's history leaves the record";
  }
  auto s = open(dir);
  modify(*s, "city", "urn:a", write(5, true));
  EXPECT_EQ(createdAt(*s), 5) << "written again after a reopen";
}

// History blocks (one record per series and hour): a range over several hours
// in both directions, an instance moved into another hour keeps its id, a
// series whose instances are all deleted one by one is gone, and history an
// earlier version stored (one record per instance) is moved into blocks at open.
TEST(Store, HistorySpansHoursAndComesFromEarlierVersions) {
  TempDir dir;
  const int64_t hour = 3'600'000, t0 = 1596283200000;
  const std::string prefix = std::string("H") + '\0' + "city" + '\0' + "urn:a" + '\0' +
                             "urn:speed" + '\0' + '\0';
  auto timeBytes = [](int64_t ms) {
    std::string out;
    uint64_t u = static_cast<uint64_t>(ms) ^ (uint64_t(1) << 63);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(u >> (8 * i)));
    return out;
  };
  {  // Written as the earlier version did: time, recorded and seq after the series prefix.
    rocksdb::Options options;
    options.create_if_missing = options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"history", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.path.string(), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    store::KeyDictionary none;
    auto ids = none.snapshot();
    store::binary::KeyWriter writer(*ids);
    for (int i = 0; i < 5; ++i) {
      store::HistoryInstance h;
      h.timeMs = h.recordedMs = t0 + i * hour / 2;
      h.instance = json::object{{"type", "Property"}, {"value", i}, {"modifiedAt", h.timeMs}};
      std::string seq = {'\0', '\0', '\0', static_cast<char>(i)};
      ASSERT_TRUE(db->Put({}, handles[1], prefix + timeBytes(h.timeMs) + timeBytes(h.recordedMs) + seq,
                          store::history::encodeInstance(h, writer))
                      .ok());
    }
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  }
  auto s = open(dir);
  auto scan = [&](store::HistoryScan q) {
    std::vector<std::pair<int64_t, std::string>> out;
    q.instanceIds = true;
    s->scanHistory("city", q, [&](store::HistoryInstance& h) {
      out.emplace_back(h.instance.at("value").as_int64(), std::string(h.instanceId));
      return true;
    });
    return out;
  };
  auto all = scan({"urn:a", "urn:speed", ""});
  ASSERT_EQ(all.size(), 5u) << "the earlier version's instances are there";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(all[i].first, i);
    json::string id;
    store::history::writeInstanceId(t0 + i * hour / 2, i, id);
    EXPECT_EQ(all[i].second, id) << "ids stay";
  }
  store::HistoryScan range{"urn:a", "urn:speed", "", t0 + hour / 2, t0 + 2 * hour};
  range.newestFirst = true;
  auto newest = scan(range);
  ASSERT_EQ(newest.size(), 3u);
  EXPECT_EQ(newest[0].first, 3);
  EXPECT_EQ(newest[2].first, 1);

  EXPECT_TRUE(s->changeHistoryInstance("city", "urn:a", "urn:speed", all[0].second,
                                       [&](const store::HistoryInstance& h) {
                                         auto moved = h;
                                         moved.timeMs = t0 + 5 * hour;
                                         return std::optional(moved);
                                       }));
  auto moved = scan({"urn:a", "urn:speed", ""});
  ASSERT_EQ(moved.size(), 5u);
  EXPECT_EQ(moved.back(), all[0]) << "last now, with its id";

  for (const auto& [value, id] : all)
    EXPECT_TRUE(s->changeHistoryInstance("city", "urn:a", "urn:speed", id,
                                         [](const auto&) { return std::nullopt; }));
  EXPECT_TRUE(scan({"urn:a", "urn:speed", ""}).empty());
  EXPECT_TRUE(s->historyAttributes("city", "urn:a").empty()) << "no instance left in the series";
  s.reset();
  s = open(dir);  // and again, now without moving anything
  EXPECT_TRUE(scan({"urn:a", "urn:speed", ""}).empty());
}
