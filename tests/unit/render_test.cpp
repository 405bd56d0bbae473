// Output representations: normalized, concise, simplified, sysAttrs, pick/omit,
// lang, several instances, GeoJSON Feature.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jsonld/core_context.h"
#include "ngsi/operations.h"
#include "ngsi/parse.h"
#include "ngsi/render.h"

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
