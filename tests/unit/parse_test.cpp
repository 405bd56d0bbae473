// Entity input: normalized and concise forms to the internal expanded form,
// and the BadRequestData errors of invalid input.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jsonld/core_context.h"
#include "ngsi/error.h"
#include "ngsi/parse.h"

namespace json = boost::json;
using namespace allmende::ngsi;
using allmende::jsonld::coreContext;

namespace {
const std::string kVocab = "https://uri.etsi.org/ngsi-ld/default-context/";

json::object parse(std::string_view text, ParseMode mode = ParseMode::Create) {
  return parseEntity(json::parse(text).as_object(), *coreContext(), mode);
}

ErrorType errorOf(std::string_view text, ParseMode mode = ParseMode::Create) {
  try {
    parse(text, mode);
  } catch (const Error& e) {
    return e.type();
  }
  return ErrorType::InternalError;
}
}  // namespace

TEST(Parse, NormalizedEntity) {
  auto e = parse(R"({"id":"urn:a","type":"Building","name":{"type":"Property","value":"x",
      "observedAt":"2020-01-01T00:00:00Z","unitCode":"C62","since":{"type":"Property","value":1}}})");
  EXPECT_EQ(e.at("id").as_string(), "urn:a");
  EXPECT_EQ(e.at("type").as_array()[0].as_string(), kVocab + "Building");
  const auto& name = e.at("attrs").at(kVocab + "name").as_array()[0].as_object();
  EXPECT_EQ(name.at("type").as_string(), "Property");
  EXPECT_EQ(name.at("value").as_string(), "x");
  EXPECT_EQ(name.at("unitCode").as_string(), "C62");
  EXPECT_EQ(name.at("subs").at(kVocab + "since").at("value").as_int64(), 1);
}

TEST(Parse, ConciseForms) {
  auto e = parse(R"({"id":"urn:a","type":"T","a":"text","b":{"value":2},"c":{"object":"urn:c"},
      "location":{"type":"Point","coordinates":[1,2]},"d":{"languageMap":{"en":"hi"}},
      "f":{"vocab":"monument"},"g":{"json":{"k":1}},"h":{"valueList":[1,2]}})");
  const auto& attrs = e.at("attrs").as_object();
  auto kind = [&](std::string name) {
    auto it = attrs.find(name == "location" ? "https://uri.etsi.org/ngsi-ld/location" : kVocab + name);
    return std::string(it->value().as_array()[0].at("type").as_string());
  };
  EXPECT_EQ(kind("a"), "Property");
  EXPECT_EQ(kind("b"), "Property");
  EXPECT_EQ(kind("c"), "Relationship");
  EXPECT_EQ(kind("location"), "GeoProperty");
  EXPECT_EQ(kind("d"), "LanguageProperty");
  EXPECT_EQ(kind("f"), "VocabProperty");
  EXPECT_EQ(kind("g"), "JsonProperty");
  EXPECT_EQ(kind("h"), "ListProperty");
  EXPECT_EQ(attrs.at(kVocab + "f").as_array()[0].at("vocab").as_string(), kVocab + "monument");
}

TEST(Parse, DatasetInstances) {
  auto e = parse(R"({"id":"urn:a","type":"T","speed":[{"type":"Property","value":1},
      {"type":"Property","value":2,"datasetId":"urn:ds:gps"}]})");
  EXPECT_EQ(e.at("attrs").at(kVocab + "speed").as_array().size(), 2u);
  EXPECT_EQ(errorOf(R"({"id":"urn:a","type":"T","speed":[{"type":"Property","value":1},
      {"type":"Property","value":2}]})"),
            ErrorType::BadRequestData);
}

TEST(Parse, Errors) {
  EXPECT_EQ(errorOf(R"({"type":"T"})"), ErrorType::BadRequestData);
  EXPECT_EQ(errorOf(R"({"id":"urn:a"})"), ErrorType::BadRequestData);
  EXPECT_EQ(errorOf(R"({"id":"not a uri","type":"T"})"), ErrorType::BadRequestData);
  EXPECT_EQ(errorOf(R"({"id":"urn:a","type":"T","a":{"type":"Foo","value":1}})"), ErrorType::BadRequestData);
  EXPECT_EQ(errorOf(R"({"id":"urn:a","type":"T","a":{"type":"Property"}})"), ErrorType::BadRequestData);
  EXPECT_EQ(errorOf(R"({"id":"urn:a","type":"T","a":{"type":"Relationship","object":"x"}})"),
            ErrorType::BadRequestData);
  EXPECT_EQ(errorOf(R"({"id":"urn:a","type":"T","a":{"type":"Property","value":1,"observedAt":"no"}})"),
            ErrorType::BadRequestData);
  EXPECT_EQ(errorOf(R"({"id":"urn:a","type":"T","location":{"type":"GeoProperty",
      "value":{"type":"Point","coordinates":[0,100]}}})"),
            ErrorType::BadRequestData);
  EXPECT_EQ(errorOf(R"({"id":"urn:a","type":"T","a":null})"), ErrorType::BadRequestData);
}

TEST(Parse, NgsiLdNullOnlyInUpdates) {
  auto e = parse(R"({"a":"urn:ngsi-ld:null","b":{"value":"urn:ngsi-ld:null"}})", ParseMode::Merge);
  EXPECT_TRUE(e.at("attrs").at(kVocab + "a").as_array()[0].at("value").is_null());
  EXPECT_TRUE(e.at("attrs").at(kVocab + "b").as_array()[0].at("value").is_null());
  EXPECT_TRUE(isNgsiNull(json::value("urn:ngsi-ld:null")));
  EXPECT_FALSE(isNgsiNull(json::value(nullptr))) << "JSON null is not the NGSI-LD null";
  EXPECT_EQ(errorOf(R"({"b":{"value":null}})", ParseMode::Merge), ErrorType::BadRequestData);
  EXPECT_EQ(errorOf(R"({"id":"urn:a","type":"T","b":{"value":"urn:ngsi-ld:null"}})"), ErrorType::BadRequestData);
}

// The internal form keeps the documented order (docs/decisions.md): type, the
// value member, the other members as given, subs; whether the input instance
// is taken over as it is or has to be rebuilt.
TEST(Parse, InstanceMembersInStoredOrder) {
  auto keys = [](std::string_view attribute) {
    auto e = parse(std::string(R"({"id":"urn:a","type":"T","a":)") + std::string(attribute) + "}");
    std::vector<std::string> out;
    for (const auto& [k, v] : e.at("attrs").at(kVocab + "a").as_array()[0].as_object()) out.emplace_back(k);
    return out;
  };
  using Keys = std::vector<std::string>;
  EXPECT_EQ(keys(R"({"type":"Property","value":1,"unitCode":"C62","observedAt":"2020-01-01T00:00:00Z"})"),
            (Keys{"type", "value", "unitCode", "observedAt"}));
  EXPECT_EQ(keys(R"({"value":1,"type":"Property","unitCode":"C62"})"), (Keys{"type", "value", "unitCode"}));
  EXPECT_EQ(keys(R"({"unitCode":"C62","value":1})"), (Keys{"type", "value", "unitCode"}));
  EXPECT_EQ(keys(R"({"type":"Property","value":1,"datasetId":"@none","createdAt":"2020-01-01T00:00:00Z",
      "since":{"value":2,"type":"Property"},"unitCode":"C62"})"),
            (Keys{"type", "value", "unitCode", "subs"}));
  EXPECT_EQ(keys(R"({"type":"Relationship","object":"urn:b","objectType":"Building","datasetId":"urn:d"})"),
            (Keys{"type", "object", "objectType", "datasetId"}));

  auto e = parse(R"({"id":"urn:a","type":"T","a":{"type":"ngsi-ld:Property","value":1,
      "since":{"value":2,"type":"Property"}},"r":{"type":"Relationship","object":"urn:b","objectType":"Building"}})");
  const auto& a = e.at("attrs").at(kVocab + "a").as_array()[0].as_object();
  EXPECT_EQ(a.at("type").as_string(), "Property");
  const auto& since = a.at("subs").at(kVocab + "since").as_object();
  EXPECT_EQ(since.begin()->key(), "type");
  EXPECT_EQ(e.at("attrs").at(kVocab + "r").as_array()[0].at("objectType").as_string(), kVocab + "Building");
}

// A GeoProperty value given as a JSON string holding the geometry is stored as the geometry.
TEST(Parse, GeometryInAString) {
  auto e = parse(R"({"id":"urn:a","type":"T","location":{"type":"GeoProperty",
      "value":"{\"type\":\"Point\",\"coordinates\":[13.4,52.5]}"}})");
  const auto& value = e.at("attrs").at("https://uri.etsi.org/ngsi-ld/location").as_array()[0].at("value");
  EXPECT_EQ(value.at("type").as_string(), "Point");
  EXPECT_EQ(value.at("coordinates").as_array().size(), 2u);
}
