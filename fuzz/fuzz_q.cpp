// Fuzz target for the query languages q (clause 4.9) and scopeQ (4.19): the
// input is parsed as a q expression (plain and with expandValues) and as a
// scopeQ, each with the core @context as the API does; every expression that
// parses is evaluated against a sample entity holding each attribute kind, so
// the evaluator runs on what the parser accepts. Linked Entity terms follow
// its relationships to itself and to a second entity that links back, as
// entities in a city often do (neighbouring sites, a street and its parts).
// Only ngsi::Error may leave the parser: anything else would be a 500.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

#include "jsonld/core_context.h"
#include "ngsi/error.h"
#include "ngsi/operations.h"
#include "ngsi/parse.h"
#include "query/q.h"

namespace {

namespace json = boost::json;
using namespace allmende;

constexpr int64_t kNow = 1735689600000;  // 2025-01-01T00:00:00Z

// Parsed and created by the broker's own functions, so it has the internal form.
json::object internal(std::string_view body) {
  auto parsed = ngsi::parseEntity(json::parse(body).as_object(), *jsonld::coreContext(),
                                  ngsi::ParseMode::Create);
  return ngsi::createEntity(std::move(parsed), kNow);
}

const json::object& sampleEntity() {
  static const json::object entity = internal(R"({
      "id": "urn:ngsi-ld:Sample:1", "type": ["Sample", "Other"], "scope": ["/a/b", "/c"],
      "temperature": {"type": "Property", "value": 21.5, "unitCode": "CEL",
                      "observedAt": "2024-01-01T00:00:00Z",
                      "accuracy": {"type": "Property", "value": 0.5}},
      "name": {"type": "Property", "value": "Bolt"},
      "tags": {"type": "Property", "value": ["x", "y", 3]},
      "address": {"type": "Property", "value": {"street": "Main", "number": 3, "city": {"name": "Ulm"}}},
      "open": {"type": "Property", "value": true},
      "since": {"type": "Property", "value": {"@type": "DateTime", "@value": "2024-01-01T00:00:00Z"}},
      "next": {"type": "Relationship", "object": "urn:ngsi-ld:Sample:1"},
      "friends": {"type": "Relationship", "object": ["urn:ngsi-ld:Sample:1", "urn:ngsi-ld:Sample:2"]},
      "label": {"type": "LanguageProperty", "languageMap": {"en": "hi", "de": "hallo"}},
      "category": {"type": "VocabProperty", "vocab": "Shop"},
      "data": {"type": "JsonProperty", "json": {"k": [1, 2]}},
      "list": {"type": "ListProperty", "valueList": [1, "a"]},
      "links": {"type": "ListRelationship", "objectList": [{"object": "urn:ngsi-ld:Sample:1"}]},
      "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [13.4, 52.5]}},
      "speed": [{"type": "Property", "value": 1},
                {"type": "Property", "value": 2, "datasetId": "urn:ngsi-ld:Dataset:1"}]
    })");
  return entity;
}

const json::object& linkedEntity() {
  static const json::object entity = internal(R"({
      "id": "urn:ngsi-ld:Sample:2", "type": "Sample", "name": {"type": "Property", "value": "Nut"},
      "temperature": {"type": "Property", "value": 19},
      "friends": {"type": "Relationship", "object": ["urn:ngsi-ld:Sample:1", "urn:ngsi-ld:Sample:2"]},
      "next": {"type": "Relationship", "object": "urn:ngsi-ld:Sample:1"}
    })");
  return entity;
}

const json::object* resolve(std::string_view id) {
  for (const auto* e : {&sampleEntity(), &linkedEntity()})
    if (e->at("id").as_string() == id) return e;
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto& ctx = *jsonld::coreContext();
  const auto& entity = sampleEntity();
  try {
    auto q = query::parseQ(text, ctx);
    query::matches(*q, entity, kNow);
    query::matches(*q, entity, kNow, resolve);
  } catch (const ngsi::Error&) {
  }
  try {
    auto q = query::parseQ(text, ctx, {"name", "category", "next"});
    query::matches(*q, entity, kNow, resolve);
  } catch (const ngsi::Error&) {
  }
  try {
    auto scope = query::parseScopeQ(text);
    query::matchesScope(*scope, entity);
  } catch (const ngsi::Error&) {
  }
  return 0;
}
