// GeoJSON geometry validation.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "ngsi/geojson.h"

using allmende::ngsi::geometryError;
namespace json = boost::json;

namespace {
std::string err(std::string_view text) { return geometryError(json::parse(text)); }
}  // namespace

TEST(GeoJson, AcceptsValidGeometries) {
  EXPECT_EQ(err(R"({"type":"Point","coordinates":[13.4,52.5]})"), "");
  EXPECT_EQ(err(R"({"type":"LineString","coordinates":[[0,0],[1,1]]})"), "");
  EXPECT_EQ(err(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]})"), "");
  EXPECT_EQ(err(R"({"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]})"), "");
  EXPECT_EQ(err(R"({"type":"MultiPoint","coordinates":[[0,0]]})"), "");
  EXPECT_EQ(err(R"({"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[0,0]}]})"), "");
}

TEST(GeoJson, RejectsInvalidGeometries) {
  EXPECT_NE(err(R"({"type":"Point","coordinates":[200,0]})"), "");
  EXPECT_NE(err(R"({"type":"Point","coordinates":[0,91]})"), "");
  EXPECT_NE(err(R"({"type":"Point","coordinates":[0]})"), "");
  EXPECT_NE(err(R"({"type":"Point"})"), "");
  EXPECT_NE(err(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]})"), "");  // not closed
  EXPECT_NE(err(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]})"), "");        // too short
  EXPECT_NE(err(R"({"type":"Circle","coordinates":[0,0]})"), "");
  EXPECT_NE(err(R"("Point")"), "");
}
