// The stored form of entities: exact round trips of every JSON kind, numbered
// and text keys, JSON text from earlier versions, damaged values rejected,
// and key numbering.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "store/embedded/entity_codec.h"
#include "store/embedded/key_dictionary.h"

namespace json = boost::json;
using namespace allmende::store;

namespace {

json::object sample() {
  json::object e;
  e["id"] = "urn:ngsi-ld:T:1";
  e["type"] = json::array{"https://example.org/T"};
  e["createdAt"] = int64_t(1795721604695);
  e["modifiedAt"] = int64_t(1795721604695);  // the same int64 again
  json::object inst{{"type", "Property"}, {"modifiedAt", int64_t(1795721604695)}, {"createdAt", int64_t(-7)},
                    {"value", json::object{{"n", nullptr}, {"t", true}, {"f", false},
                                           {"min", std::numeric_limits<int64_t>::min()},
                                           {"max", std::numeric_limits<int64_t>::max()},
                                           {"neg", -3}, {"u", std::numeric_limits<uint64_t>::max()},
                                           {"d", 21.5}, {"tiny", 5e-324}, {"negzero", -0.0},
                                           {"s", std::string("nul\0byte é", 11)}, {"empty", ""},
                                           {"list", json::array{1, json::array{}, json::object{}, "x"}}}}};
  e["attrs"] = json::object{{"https://example.org/a", json::array{inst}}};
  return e;
}

// Equal, and every number of the same kind (json::value == compares 1 and 1.0 equal).
void expectSame(const json::value& a, const json::value& b) {
  ASSERT_EQ(a.kind(), b.kind()) << json::serialize(a) << " vs " << json::serialize(b);
  if (a.is_object()) {
    ASSERT_EQ(a.get_object().size(), b.get_object().size());
    auto it = b.get_object().begin();
    for (const auto& [k, v] : a.get_object()) {  // same members in the same order
      EXPECT_EQ(k, it->key());
      expectSame(v, (it++)->value());
    }
  } else if (a.is_array()) {
    ASSERT_EQ(a.get_array().size(), b.get_array().size());
    for (size_t i = 0; i < a.get_array().size(); ++i) expectSame(a.get_array()[i], b.get_array()[i]);
  } else if (a.is_double()) {
    EXPECT_EQ(std::signbit(a.get_double()), std::signbit(b.get_double()));
    EXPECT_EQ(a.get_double(), b.get_double());
  } else {
    EXPECT_EQ(a, b);
  }
}

}  // namespace

TEST(EntityCodec, RoundTripsWithTextKeysThenWithNumberedKeys) {
  KeyDictionary keys;
  auto none = keys.snapshot();
  binary::KeyWriter asText(*none);
  auto first = encodeEntity(sample(), "facts", asText);
  expectSame(decodeEntity(first, keys), sample());
  EXPECT_FALSE(asText.unnumbered().empty());

  std::vector<std::pair<uint32_t, std::string>> persisted;
  keys.assign(asText.unnumbered(), [&](const auto& added) { persisted = added; });
  EXPECT_EQ(persisted.size(), 22u);  // each distinct key and "type" string once
  auto numbered = keys.snapshot();
  binary::KeyWriter asNumbers(*numbered);
  auto second = encodeEntity(sample(), "facts", asNumbers);
  EXPECT_TRUE(asNumbers.unnumbered().empty());
  EXPECT_LT(second.size(), first.size());
  expectSame(decodeEntity(second, keys), sample());
  // Values written with text keys stay readable.
  expectSame(decodeEntity(first, keys), sample());
}

TEST(EntityCodec, RepeatedTimestampsAndTypeNamesTakeOneOrTwoBytes) {
  KeyDictionary keys;
  auto entity = [](int64_t modified) {
    json::object e{{"id", "urn:x"}, {"type", json::array{"https://example.org/types/ALongTypeName"}}};
    for (int i = 0; i < 8; ++i)
      e["a" + std::to_string(i)] = json::object{{"type", "Property"}, {"createdAt", int64_t(1795721604695)},
                                                {"modifiedAt", i == 3 ? modified : int64_t(1795721604695)}};
    return e;
  };
  keys.assign({"id", "type", "createdAt", "modifiedAt", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
               "Property", "https://example.org/types/ALongTypeName"},
              [](const auto&) {});
  auto ids = keys.snapshot();
  binary::KeyWriter names(*ids);
  auto same = encodeEntity(entity(1795721604695), "", names);
  names.restart();
  auto other = encodeEntity(entity(1795721609999), "", names);
  EXPECT_TRUE(names.unnumbered().empty());
  // 8 attributes: object tag, count, three keys, "type" (2 bytes), two timestamps
  // of one byte each but the first: ~10 bytes per attribute.
  EXPECT_LT(same.size(), 110u) << same.size();
  EXPECT_EQ(other.size(), same.size() + 12) << "one different timestamp, and the one after it";
  expectSame(decodeEntity(same, keys), entity(1795721604695));
  expectSame(decodeEntity(other, keys), entity(1795721609999));
}

TEST(EntityCodec, OneKeyWriterForValuesOfDifferentShapes) {
  KeyDictionary keys;
  keys.assign({"id", "type", "T", "a", "b", "value", "Property"}, [](const auto&) {});
  auto ids = keys.snapshot();
  binary::KeyWriter names(*ids);
  auto entity = [](std::string attr) {
    return json::object{{"id", "urn:x"}, {"type", "T"}, {attr, json::object{{"type", "Property"}, {"value", 1}}}};
  };
  std::vector<std::string> encoded;
  // Same shape, another attribute at the same place, one without a number, and back.
  for (std::string attr : {"a", "a", "b", "unknown", "a"}) {
    names.restart();
    encoded.push_back(encodeEntity(entity(attr), "", names));
    expectSame(decodeEntity(encoded.back(), keys), entity(attr));
  }
  EXPECT_EQ(encoded[1], encoded[0]);
  EXPECT_EQ(encoded[4], encoded[0]);
  EXPECT_EQ(encoded[2].size(), encoded[0].size());
  EXPECT_EQ(encoded[3].size(), encoded[0].size() + std::string("unknown").size());
  EXPECT_EQ(names.unnumbered(), std::vector<std::string>{"unknown"});
  // Without restart() the remembered order does not fit: still the same bytes.
  encoded.push_back(encodeEntity(entity("a"), "", names));
  EXPECT_EQ(encoded.back(), encoded[0]);
}

TEST(EntityCodec, DecodesIntoTheGivenStorage) {
  KeyDictionary keys;
  auto ids = keys.snapshot();
  binary::KeyWriter names(*ids);
  auto stored = encodeEntity(sample(), "facts", names);
  json::monotonic_resource arena;
  auto entity = decodeEntity(stored, keys, &arena);
  EXPECT_EQ(entity.storage().get(), &arena);
  EXPECT_EQ(entity.at("attrs").storage().get(), &arena);
}

TEST(EntityCodec, CarriesTheIndexRecordInFront) {
  KeyDictionary keys;
  auto ids = keys.snapshot();
  binary::KeyWriter names(*ids);
  auto stored = encodeEntity(sample(), "facts", names);
  EXPECT_EQ(factsOf(stored), "facts");
  auto binaryOfEarlierVersion = stored.substr(1 + 1 + 5);  // marker, length, "facts"
  EXPECT_EQ(factsOf(binaryOfEarlierVersion), std::nullopt);
  expectSame(decodeEntity(binaryOfEarlierVersion, keys), sample());
  auto longer = encodeEntity(sample(), std::string(300, 'f'), names);  // a length of two varint bytes
  EXPECT_EQ(factsOf(longer), std::string(300, 'f'));
  expectSame(decodeEntity(longer, keys), sample());
}

TEST(EntityCodec, ReadsJsonTextOfEarlierVersions) {
  KeyDictionary keys;
  auto text = json::serialize(sample());
  EXPECT_EQ(factsOf(text), std::nullopt);
  expectSame(decodeEntity(text, keys), sample());
}

TEST(EntityCodec, RejectsDamagedValues) {
  KeyDictionary keys;
  keys.assign({"id"}, [](const auto&) {});
  auto ids = keys.snapshot();
  binary::KeyWriter names(*ids);
  auto stored = encodeEntity(sample(), "facts", names);
  for (size_t n = 0; n < stored.size(); ++n)  // every truncation
    EXPECT_THROW(decodeEntity(stored.substr(0, n), keys), std::runtime_error) << n;
  EXPECT_THROW(decodeEntity(stored + "x", keys), std::runtime_error);
  EXPECT_THROW(decodeEntity("{\"id\":", keys), std::runtime_error);
  KeyDictionary empty;  // a key number the dictionary does not have
  EXPECT_THROW(decodeEntity(stored, empty), std::runtime_error);
}

TEST(KeyDictionary, NumbersOnlyAfterPersistingAndStopsWhenFull) {
  KeyDictionary keys;
  EXPECT_THROW(keys.assign({"a"}, [](const auto&) { throw std::runtime_error("disk full"); }),
               std::runtime_error);
  EXPECT_FALSE(keys.snapshot()->contains("a"));  // not persisted: not used
  EXPECT_THROW(keys.key(0), std::runtime_error);
  keys.assign({"a", "b", "a"}, [](const auto& added) { EXPECT_EQ(added.size(), 2u); });
  EXPECT_EQ(keys.key(keys.snapshot()->at("b")), "b");
  std::vector<std::string> many;
  for (uint32_t i = 0; i < KeyDictionary::kMaxKeys + 10; ++i) many.push_back("k" + std::to_string(i));
  keys.assign(many, [](const auto&) {});
  EXPECT_EQ(keys.snapshot()->size(), KeyDictionary::kMaxKeys);
  KeyDictionary reopened;  // load() restores what was persisted
  reopened.load(1, "b");
  reopened.load(0, "a");
  EXPECT_EQ(reopened.key(1), "b");
  EXPECT_EQ(reopened.snapshot()->at("a"), 0u);
}
