// The stored form of the attribute history: block keys sort by time (negative
// times too), instance ids name a recording time and sequence, instances and
// entity records round-trip with the members the block record holds left out,
// values are read alone, and damaged records are rejected.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "store/embedded/history_codec.h"

namespace json = boost::json;
using namespace allmende::store;

namespace {

HistoryInstance sample(int64_t time, int64_t recorded) {
  HistoryInstance h;
  h.attribute = "https://example.org/speed";
  h.datasetId = "urn:ds:1";
  h.timeMs = time;
  h.recordedMs = recorded;
  h.instance =
      json::object{{"type", "Property"},
                   {"value", 21.5},
                   {"observedAt", "2020-08-01T12:03:00Z"},
                   {"datasetId", "urn:ds:1"},
                   {"createdAt", recorded - 5000},
                   {"modifiedAt", recorded},
                   {"subs", json::object{{"https://example.org/q",
                                          json::object{{"type", "Property"}, {"value", "good"}}}}}};
  return h;
}

}  // namespace

// The Add record of an instance, as a block holds it.
history::BlockRecord record(const HistoryInstance& h, const std::string& bytes, uint32_t seq = 0) {
  return {history::Op::Add, h.timeMs, h.recordedMs, seq, bytes};
}

TEST(HistoryCodec, BlockKeysSortByTime) {
  auto prefix = history::seriesPrefix("t", "urn:e:1", "https://example.org/speed", "");
  std::vector<std::string> keys = {history::blockKey(prefix, -3'600'000),
                                   history::blockKey(prefix, 0),
                                   history::blockKey(prefix, 1596283200000)};
  for (size_t i = 1; i < keys.size(); ++i) EXPECT_LT(keys[i - 1], keys[i]) << i;
  EXPECT_LT(keys.back(), history::prefixEnd(prefix));
  EXPECT_EQ(history::blockTimeOf(keys[0]), std::optional<int64_t>(-3'600'000));
  EXPECT_EQ(history::blockTimeOf(keys[2]), std::optional<int64_t>(1596283200000));
  EXPECT_FALSE(history::blockTimeOf(history::entityRecordKey("t", "urn:e:1")));
  // Another datasetId or attribute is outside the series.
  EXPECT_FALSE(
      history::blockKey(history::seriesPrefix("t", "urn:e:1", "https://example.org/speed", "urn:x"), 0)
          .starts_with(prefix));
}

std::string instanceIdOf(int64_t recordedMs, uint32_t seq) {
  json::string id;
  history::writeInstanceId(recordedMs, seq, id);
  return std::string(id);
}

TEST(HistoryCodec, InstanceIdsNameRecordingTimeAndSequence) {
  for (auto [recorded, seq] : {std::pair<int64_t, uint32_t>{1596283380123, 42},
                               {-3, 0}, {0, UINT32_MAX}}) {
    auto id = instanceIdOf(recorded, seq);
    EXPECT_TRUE(id.starts_with("urn:ngsi-ld:attribute:instance:")) << id;
    auto back = history::parseInstanceId(id);
    ASSERT_TRUE(back) << id;
    EXPECT_EQ(back->first, recorded);
    EXPECT_EQ(back->second, seq);
  }
  EXPECT_FALSE(history::parseInstanceId("urn:ngsi-ld:attribute:instance:12"));
  EXPECT_FALSE(history::parseInstanceId("urn:ngsi-ld:attribute:instance:zz0000000000000000000000"));
  EXPECT_FALSE(history::parseInstanceId("urn:x:000000000000000000000000000000000000000000000000000"));
}

TEST(HistoryCodec, SeriesNamesComeBackFromKeys) {
  auto entity = history::entityPrefix("t", "urn:e:1");
  auto key = history::blockKey(
      history::seriesPrefix("t", "urn:e:1", "https://example.org/a", "urn:ds"), 7);
  ASSERT_TRUE(key.starts_with(entity));
  std::string_view attribute, datasetId;
  ASSERT_TRUE(
      history::splitSeries(std::string_view(key).substr(entity.size()), attribute, datasetId));
  EXPECT_EQ(attribute, "https://example.org/a");
  EXPECT_EQ(datasetId, "urn:ds");
  EXPECT_FALSE(history::splitSeries("no separator", attribute, datasetId));
}

TEST(HistoryCodec, InstancesRoundTrip) {
  KeyDictionary keys;
  auto ids = keys.snapshot();
  binary::KeyWriter writer(*ids);
  for (auto recorded : {int64_t(1596283380123), int64_t(-3)}) {
    auto h = sample(1596283380000, recorded);
    auto value = history::encodeInstance(h, writer);
    HistoryInstance back;
    back.instanceId = "left over from the instance before";
    history::decodeInstance(record(h, value, 42), keys, false, back);
    EXPECT_TRUE(back.instanceId.empty());
    history::decodeInstance(record(h, value, 42), keys, true, back);
    EXPECT_EQ(back.timeMs, h.timeMs);
    EXPECT_EQ(back.recordedMs, h.recordedMs);
    EXPECT_EQ(back.instance, h.instance) << json::serialize(back.instance);
    EXPECT_EQ(back.instanceId, instanceIdOf(recorded, 42));
  }
}

TEST(HistoryCodec, ValuesAreReadWithoutTheOtherMembers) {
  KeyDictionary keys;
  auto ids = keys.snapshot();
  binary::KeyWriter writer(*ids);
  auto read = [&](const HistoryInstance& h) {
    HistoryValue v;
    v.value = "left over from the instance before";
    history::decodeValue(record(h, history::encodeInstance(h, writer)), keys, v);
    return v;
  };
  auto h = sample(1596283380000, 1596283380123);
  // Members before the value that are passed over: a nested object, a list,
  // and an int64 that a later member repeats (stored as "the same int64").
  h.instance = json::object{{"subs", h.instance.at("subs")},
                            {"unitCode", "CEL"},
                            {"urn:x", json::array{int64_t(7), json::object{{"k", nullptr}}}},
                            {"type", "Property"},
                            {"createdAt", int64_t(7)},
                            {"value", 21.5}};
  auto v = read(h);
  EXPECT_EQ(v.timeMs, h.timeMs);
  EXPECT_EQ(v.recordedMs, h.recordedMs);
  EXPECT_EQ(v.kind, "Property");
  EXPECT_EQ(v.createdAtMs, std::optional<int64_t>(7));
  EXPECT_FALSE(v.modifiedAtMs);
  ASSERT_TRUE(v.value);
  EXPECT_EQ(*v.value, json::value(21.5));

  h.instance = json::object{{"type", "LanguageProperty"}, {"languageMap", {{"de", "voll"}}}};
  v = read(h);
  EXPECT_EQ(v.kind, "LanguageProperty");
  EXPECT_EQ(*v.value, (json::value{{"de", "voll"}}));

  h.instance = json::object{{"type", "Property"}, {"value", "urn:ngsi-ld:null"},
                            {"deletedAt", h.recordedMs}};
  v = read(h);
  EXPECT_FALSE(v.value) << "a deletion has no value";
  EXPECT_EQ(v.deletedAtMs, std::optional<int64_t>(h.recordedMs));
}

TEST(HistoryCodec, TimestampsTheKeyHoldsAreNotStored) {
  KeyDictionary keys;
  auto ids = keys.snapshot();
  binary::KeyWriter writer(*ids);
  auto h = sample(1, 1596283380123);
  auto withStamps = history::encodeInstance(h, writer).size();
  h.instance["modifiedAt"] = int64_t(99);  // not the recording time: kept as a member
  EXPECT_GT(history::encodeInstance(h, writer).size(), withStamps);

  HistoryInstance deletion;
  deletion.recordedMs = deletion.timeMs = 1596283380123;
  deletion.instance = json::object{
      {"type", "Relationship"}, {"object", "urn:ngsi-ld:null"}, {"deletedAt", deletion.recordedMs}};
  auto value = history::encodeInstance(deletion, writer);
  HistoryInstance back;
  history::decodeInstance(record(deletion, value), keys, false, back);
  EXPECT_EQ(back.instance, deletion.instance);
}

TEST(HistoryCodec, EntityRecordsRoundTrip) {
  HistoryEntity e{"urn:e:1",
                  {"https://example.org/Car", "https://example.org/Vehicle"},
                  1596283380000,
                  1596283390000};
  auto back = history::decodeEntityRecord(e.id, history::encodeEntityRecord(e));
  EXPECT_EQ(back.id, e.id);
  EXPECT_EQ(back.types, e.types);
  EXPECT_EQ(back.createdAtMs, e.createdAtMs);
  EXPECT_EQ(back.deletedAtMs, e.deletedAtMs);
  EXPECT_TRUE(
      history::entityRecordKey("t", "urn:e:1").starts_with(history::entityRecordPrefix("t")));
}

TEST(HistoryCodec, DamagedRecordsAreRejected) {
  KeyDictionary keys;
  HistoryInstance into;
  history::BlockRecord r;
  EXPECT_THROW(history::decodeInstance(r, keys, true, into), std::runtime_error) << "no instance";
  r.instance = "\x04";
  EXPECT_THROW(history::decodeInstance(r, keys, true, into), std::runtime_error);
  r.instance = std::string_view("\x00\x08\x00", 3);
  r.op = history::Op::Remove;
  EXPECT_THROW(history::decodeInstance(r, keys, true, into), std::runtime_error)
      << "a Remove record holds no instance";
  EXPECT_THROW(history::decodeEntityRecord("urn:e:1", "\x05"), std::runtime_error);
}
