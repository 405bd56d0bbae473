// Output representations: normalized, concise, simplified, sysAttrs, pick/omit,
// lang, several instances, GeoJSON Feature.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jsonld/core_context.h"
#include "ngsi/operations.h"
#include "ngsi/parse.h"
#include "ngsi/render.h"
#include "common/json_text.h"

namespace json = boost::json;
using namespace allmende::ngsi;
using allmende::jsonld::coreContext;

namespace {
json::object entity() {
  auto parsed = parseEntity(json::parse(R"({"id":"urn:e","type":"T",
      "a":{"value":1,"unitCode":"C62"},"b":"text","r":{"object":"urn:x"},
      "street":{"languageMap":{"fr":"Grand Place","nl":"Grote Markt"}},
      "location":{"type":"Point","coordinates":[4.35,50.85]},
      "speed":[{"value":1},{"value":2,"datasetId":"urn:ds:2"}]})").as_object(),
                            *coreContext(), ParseMode::Create);
  return createEntity(parsed, 0);
}
json::object render(RenderOptions o = {}) { return renderEntity(entity(), *coreContext(), o); }
}  // namespace

TEST(Render, Normalized) {
  auto out = render();
  EXPECT_EQ(out.at("type").as_string(), "T");
  EXPECT_EQ(out.at("a").at("type").as_string(), "Property");
  EXPECT_EQ(out.at("a").at("unitCode").as_string(), "C62");
  EXPECT_EQ(out.at("r").at("object").as_string(), "urn:x");
  EXPECT_EQ(out.at("speed").as_array().size(), 2u);
  EXPECT_FALSE(out.contains("createdAt"));
}

TEST(Render, ConciseAndSimplified) {
  RenderOptions concise;
  concise.format = Format::Concise;
  auto c = render(concise);
  EXPECT_EQ(c.at("b").as_string(), "text");
  EXPECT_EQ(c.at("a").at("value").as_int64(), 1);
  EXPECT_FALSE(c.at("a").as_object().contains("type"));
  EXPECT_EQ(c.at("r").at("object").as_string(), "urn:x");
  RenderOptions simple;
  simple.format = Format::Simplified;
  auto s = render(simple);
  EXPECT_EQ(s.at("a").as_int64(), 1);
  EXPECT_EQ(s.at("r").as_string(), "urn:x");
  EXPECT_EQ(s.at("location").at("type").as_string(), "Point");
  EXPECT_EQ(s.at("speed").at("dataset").at("@none").as_int64(), 1);
  EXPECT_EQ(s.at("speed").at("dataset").at("urn:ds:2").as_int64(), 2);
}

TEST(Render, SysAttrsPickOmitLang) {
  RenderOptions o;
  o.sysAttrs = true;
  auto out = render(o);
  EXPECT_EQ(out.at("createdAt").as_string(), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(out.at("a").at("modifiedAt").as_string(), "1970-01-01T00:00:00.000Z");
  RenderOptions pick;
  pick.pick = Projection{{"id", "a"}, {}};
  auto p = render(pick);
  EXPECT_EQ(p.size(), 2u);
  RenderOptions omit;
  omit.omit = Projection{{"a", "type"}, {}};
  auto m = render(omit);
  EXPECT_FALSE(m.contains("a"));
  EXPECT_FALSE(m.contains("type"));
  RenderOptions lang;
  lang.lang = "nl";
  auto l = render(lang);
  EXPECT_EQ(l.at("street").at("value").as_string(), "Grote Markt");
  EXPECT_EQ(l.at("street").at("lang").as_string(), "nl");
}

TEST(Render, Feature) {
  auto f = renderFeature(entity(), *coreContext(), {}, "https://uri.etsi.org/ngsi-ld/location");
  EXPECT_EQ(f.at("type").as_string(), "Feature");
  EXPECT_EQ(f.at("geometry").at("type").as_string(), "Point");
  EXPECT_EQ(f.at("properties").at("type").as_string(), "T");
  auto none = renderFeature(entity(), *coreContext(), {}, "https://uri.etsi.org/ngsi-ld/default-context/nothing");
  EXPECT_TRUE(none.at("geometry").is_null());
}

// The text written straight away is the text of the rendered value, for every
// kind of attribute and every option, and its summary counts what it wrote.
TEST(Render, TextIsTheRenderedValuesText) {
  auto parsed = parseEntity(json::parse(R"({"id":"urn:e","type":["T","U"],"scope":["/a","/b"],
      "a":{"value":1.5,"unitCode":"C62","observedAt":"2020-01-01T00:00:00Z","sub":{"value":"x","deep":{"object":"urn:d"}}},
      "b":"text \"quoted\"","n":{"value":{"k":[1,2]}},"e":{"value":[]},
      "r":{"object":"urn:x","objectType":"T"},
      "lr":{"type":"ListRelationship","objectList":[{"object":"urn:a"},{"object":"urn:b"}]},
      "v":{"type":"VocabProperty","vocab":["T","U"]},
      "j":{"type":"JsonProperty","json":{"any":[1,{"x":null}]}},
      "lp":{"type":"ListProperty","valueList":[1,"two"]},
      "street":{"languageMap":{"fr":"Grand Place","nl":"Grote Markt"}},
      "location":{"type":"Point","coordinates":[4.35,50.85]},
      "speed":[{"value":1},{"value":2,"datasetId":"urn:ds:2"}]})").as_object(),
                            *coreContext(), ParseMode::Create);
  auto stored = createEntity(parsed, 1700000000000);
  std::vector<RenderOptions> variants;
  for (auto format : {Format::Normalized, Format::Concise, Format::Simplified})
    for (int variant = 0; variant < 6; ++variant) {
      RenderOptions o;
      o.format = format;
      o.sysAttrs = variant == 1;
      if (variant == 2) o.lang = "nl";
      if (variant == 3) o.pick = Projection{{"id", "a", "lr"}, {}};
      if (variant == 4) o.omit = Projection{{"type", "scope", "speed"}, {}};
      if (variant == 5) o.datasetIds = std::set<std::string>{"urn:ds:2"};
      variants.push_back(o);
    }
  RenderOptions nothing;
  nothing.pick = Projection{{"absent"}, {}};
  variants.push_back(nothing);
  RenderOptions onlyId;
  onlyId.pick = Projection{{"id", "type"}, {}};
  variants.push_back(onlyId);
  for (const auto& o : variants) {
    auto tree = renderEntity(stored, *coreContext(), o);
    std::string text = "[";
    auto written = writeEntity(text, stored, *coreContext(), o);
    EXPECT_EQ(text, "[" + allmende::toJsonText(tree));
    EXPECT_EQ(written.count, tree.size());
    bool attributes = false;
    for (const auto& [k, v] : tree) attributes |= k != "id" && k != "type" && k != "scope";
    EXPECT_EQ(written.attributes, attributes);
  }
  RenderOptions concise;
  concise.format = Format::Concise;
  std::string text;
  writeEntity(text, stored, *coreContext(), concise);
  EXPECT_NE(text.find(R"("b":"text \"quoted\"")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("e":{"value":[]})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("lr":{"objectList":["urn:a","urn:b"]})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("sub":{"value":"x","deep":{"object":"urn:d"}})"), std::string::npos) << text;
}
