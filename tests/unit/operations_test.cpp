// Entity operations on the internal form: timestamps, append/noOverwrite,
// update, partial update, delete by datasetId, replace, merge with null.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jsonld/core_context.h"
#include "ngsi/error.h"
#include "ngsi/operations.h"
#include "ngsi/parse.h"

namespace json = boost::json;
using namespace allmende::ngsi;
using allmende::jsonld::coreContext;

namespace {
const std::string kA = "https://uri.etsi.org/ngsi-ld/default-context/a";
const std::string kB = "https://uri.etsi.org/ngsi-ld/default-context/b";

json::object in(std::string_view text, ParseMode mode = ParseMode::Fragment) {
  return parseEntity(json::parse(text).as_object(), *coreContext(), mode);
}
json::object base() {
  return createEntity(in(R"({"id":"urn:e","type":"T","a":{"value":1,"sub":{"value":"s"}}})", ParseMode::Create), 100);
}
const json::object& inst(const json::object& e, const std::string& attr, size_t i = 0) {
  return e.at("attrs").at(attr).as_array()[i].as_object();
}
}  // namespace

TEST(Operations, CreateStampsEverything) {
  auto e = base();
  EXPECT_EQ(e.at("createdAt").as_int64(), 100);
  EXPECT_EQ(inst(e, kA).at("modifiedAt").as_int64(), 100);
}

TEST(Operations, AppendAndNoOverwrite) {
  auto e = base();
  auto out = appendAttributes(e, in(R"({"a":{"value":2},"b":{"value":3}})"), true, 200);
  ASSERT_EQ(out.updated.size(), 1u);
  EXPECT_EQ(out.updated[0], kB);
  ASSERT_EQ(out.notUpdated.size(), 1u);
  EXPECT_EQ(inst(e, kA).at("value").as_int64(), 1);
  appendAttributes(e, in(R"({"a":{"value":2}})"), false, 300);
  EXPECT_EQ(inst(e, kA).at("value").as_int64(), 2);
  EXPECT_EQ(inst(e, kA).at("createdAt").as_int64(), 100);
  EXPECT_EQ(inst(e, kA).at("modifiedAt").as_int64(), 300);
  EXPECT_EQ(e.at("modifiedAt").as_int64(), 300);
}

// The conformance suite (011_01_03, the setups of 046_23..046_30) expects Update
// Entity Attributes to append an attribute the entity lacks.
TEST(Operations, UpdateAppendsMissingAttributes) {
  auto e = base();
  auto out = updateAttributes(e, in(R"({"a":{"value":5},"b":{"value":6}})"), 200);
  EXPECT_EQ(out.updated.size(), 2u);
  EXPECT_TRUE(out.notUpdated.empty());
  EXPECT_EQ(inst(e, kA).at("value").as_int64(), 5);
  EXPECT_EQ(inst(e, kB).at("value").as_int64(), 6);
  EXPECT_EQ(inst(e, kB).at("createdAt").as_int64(), 200);
}

TEST(Operations, UpdateReportsANullForAMissingAttribute) {
  auto e = base();
  auto out =
      updateAttributes(e, in(R"({"b":{"value":"urn:ngsi-ld:null"}})", ParseMode::Patch), 200);
  EXPECT_TRUE(out.updated.empty());
  ASSERT_EQ(out.notUpdated.size(), 1u);
  EXPECT_EQ(out.notUpdated[0].first, kB);
  EXPECT_FALSE(e.at("attrs").as_object().contains(kB));
}

TEST(Operations, PartialUpdateKeepsOtherMembers) {
  auto e = base();
  auto patch = parseAttribute(json::parse(R"({"value":9})"), "a", kA, *coreContext(), ParseMode::Patch);
  partialUpdateAttribute(e, kA, patch, 200);
  EXPECT_EQ(inst(e, kA).at("value").as_int64(), 9);
  EXPECT_TRUE(inst(e, kA).contains("subs"));
  EXPECT_THROW(partialUpdateAttribute(e, kB, patch, 200), Error);
}

TEST(Operations, DeleteByDatasetId) {
  auto e = base();
  appendAttributes(e, in(R"({"a":{"value":2,"datasetId":"urn:ds:1"}})"), false, 200);
  EXPECT_EQ(e.at("attrs").at(kA).as_array().size(), 2u);
  deleteAttribute(e, kA, std::string("urn:ds:1"), false, 300);
  EXPECT_EQ(e.at("attrs").at(kA).as_array().size(), 1u);
  EXPECT_THROW(deleteAttribute(e, kA, std::string("urn:ds:1"), false, 300), Error);
  deleteAttribute(e, kA, std::nullopt, false, 300);
  EXPECT_FALSE(e.at("attrs").as_object().contains(kA));
}

TEST(Operations, ReplaceKeepsCreatedAt) {
  auto e = base();
  auto r = replaceEntity(e, in(R"({"type":"U","b":{"value":1}})"), 500);
  EXPECT_EQ(r.at("createdAt").as_int64(), 100);
  EXPECT_EQ(r.at("modifiedAt").as_int64(), 500);
  EXPECT_FALSE(r.at("attrs").as_object().contains(kA));
  EXPECT_TRUE(r.at("attrs").as_object().contains(kB));
}

TEST(Operations, MergeWithNullDeletes) {
  auto e = base();
  mergeEntity(e, in(R"({"a":{"value":2},"b":{"value":3}})", ParseMode::Patch), 200);
  EXPECT_EQ(inst(e, kA).at("value").as_int64(), 2);
  EXPECT_TRUE(inst(e, kA).contains("subs")) << "merge keeps sub-attributes not mentioned";
  mergeEntity(e, in(R"({"a":"urn:ngsi-ld:null"})", ParseMode::Patch), 300);
  EXPECT_FALSE(e.at("attrs").as_object().contains(kA));
  EXPECT_TRUE(e.at("attrs").as_object().contains(kB));
}
