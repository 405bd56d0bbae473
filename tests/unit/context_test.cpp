// JSON-LD term expansion and compaction with user contexts on top of the core.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jsonld/core_context.h"
#include "ngsi/error.h"

namespace json = boost::json;
using namespace allmende::jsonld;

namespace {
ContextPtr withUser(std::string_view local) {
  ContextBuilder b(coreContext().get(), true);
  b.apply(json::parse(local).as_object());
  return b.build();
}
}  // namespace

TEST(Context, CoreTermsAndVocab) {
  const auto& core = *coreContext();
  EXPECT_EQ(core.expand("Property"), "https://uri.etsi.org/ngsi-ld/Property");
  EXPECT_EQ(core.expand("temperature"), "https://uri.etsi.org/ngsi-ld/default-context/temperature");
  EXPECT_EQ(core.compact("https://uri.etsi.org/ngsi-ld/default-context/temperature"), "temperature");
  EXPECT_EQ(core.compact("https://uri.etsi.org/ngsi-ld/location"), "location");
  EXPECT_EQ(core.expand("http://example.org/x"), "http://example.org/x");
  EXPECT_EQ(core.compact("http://example.org/x"), "http://example.org/x");
}

TEST(Context, UserTermsPrefixesAndCompactIris) {
  auto ctx = withUser(R"({"ex": "http://example.org/", "Building": "ex:Building",
                         "name": {"@id": "ex:name"}, "other": "http://other.org/o"})");
  EXPECT_EQ(ctx->expand("Building"), "http://example.org/Building");
  EXPECT_EQ(ctx->expand("name"), "http://example.org/name");
  EXPECT_EQ(ctx->expand("ex:height"), "http://example.org/height");
  EXPECT_EQ(ctx->compact("http://example.org/Building"), "Building");
  EXPECT_EQ(ctx->compact("http://example.org/height"), "ex:height");
  EXPECT_EQ(ctx->compact("http://other.org/o"), "other");
}

TEST(Context, CoreTermsCannotBeRedefined) {
  auto ctx = withUser(R"({"Property": "http://example.org/NotAProperty"})");
  EXPECT_EQ(ctx->expand("Property"), "https://uri.etsi.org/ngsi-ld/Property");
}

TEST(Context, UserVocabReplacesTheDefault) {
  auto ctx = withUser(R"({"@vocab": "http://example.org/v/"})");
  EXPECT_EQ(ctx->expand("speed"), "http://example.org/v/speed");
  EXPECT_EQ(ctx->compact("http://example.org/v/speed"), "speed");
}

TEST(Context, InvalidDefinitionsAreBadRequestData) {
  EXPECT_THROW(withUser(R"({"a": 5})"), allmende::ngsi::Error);
  EXPECT_THROW(withUser(R"({"a": "b", "b": "a"})"), allmende::ngsi::Error);
}

TEST(Context, DefinitionChainsAreBounded) {
  // Found with fuzz/fuzz_context.cpp: a 640 KB @context of terms each defined by
  // the next ("t0": "t1:x", "t1": "t2:x", ...) overflowed the stack.
  auto chain = [](int length) {
    json::object local;
    for (int i = 0; i < length; ++i)
      local["t" + std::to_string(i)] = "t" + std::to_string(i + 1) + ":x";
    local["t" + std::to_string(length)] = "http://example.org/";
    return json::serialize(local);
  };
  EXPECT_EQ(withUser(chain(63))->expand("t0"), "http://example.org/" + std::string(63, 'x'));
  EXPECT_THROW(withUser(chain(64)), allmende::ngsi::Error);
  EXPECT_THROW(withUser(chain(100000)), allmende::ngsi::Error);
}
