// Geo-queries: parsing, the georels on the sphere, candidate boxes, the R-tree.
// Expected distances are computed here with the textbook spherical formulas
// (haversine, cross-track), independently of Boost.Geometry.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <random>
#include <tuple>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "ngsi/error.h"
#include "query/geo.h"

using namespace allmende::query;
namespace json = boost::json;

namespace {

constexpr double kR = 6371008.8;
double rad(double deg) {
  return deg * std::numbers::pi / 180;
}

// Great-circle distance in metres.
double haversine(double lon1, double lat1, double lon2, double lat2) {
  double dLat = rad(lat2 - lat1), dLon = rad(lon2 - lon1);
  double a = std::pow(std::sin(dLat / 2), 2) +
             std::cos(rad(lat1)) * std::cos(rad(lat2)) * std::pow(std::sin(dLon / 2), 2);
  return 2 * kR * std::asin(std::sqrt(a));
}
double bearing(double lon1, double lat1, double lon2, double lat2) {
  double y = std::sin(rad(lon2 - lon1)) * std::cos(rad(lat2));
  double x = std::cos(rad(lat1)) * std::sin(rad(lat2)) -
             std::sin(rad(lat1)) * std::cos(rad(lat2)) * std::cos(rad(lon2 - lon1));
  return std::atan2(y, x);
}
// Distance from point 3 to the great circle through points 1 and 2 (metres).
double crossTrack(double lon1, double lat1, double lon2, double lat2, double lon3, double lat3) {
  double d13 = haversine(lon1, lat1, lon3, lat3) / kR;
  double t13 = bearing(lon1, lat1, lon3, lat3), t12 = bearing(lon1, lat1, lon2, lat2);
  return std::abs(std::asin(std::sin(d13) * std::sin(t13 - t12))) * kR;
}

GeoQuery query(std::string_view georel, std::string_view geometry, std::string_view coordinates) {
  return parseGeoQuery(georel, geometry, json::parse(coordinates), "");
}
bool matches(std::string_view georel, std::string_view geometry, std::string_view coordinates,
             std::string_view entityGeometry) {
  return geoMatches(query(georel, geometry, coordinates), json::parse(entityGeometry));
}
// The BadRequestData detail parseGeoQuery reports, or "" if it accepts the query.
std::string parseErrorOf(std::string_view georel, std::string_view geometry,
                         const json::value& coordinates) {
  try {
    parseGeoQuery(georel, geometry, coordinates, "");
  } catch (const allmende::ngsi::Error& e) {
    EXPECT_EQ(e.type(), allmende::ngsi::ErrorType::BadRequestData) << e.detail();
    return e.detail();
  }
  return "";
}
std::string parseError(std::string_view georel, std::string_view geometry,
                       std::string_view coordinates) {
  return parseErrorOf(georel, geometry, json::parse(coordinates));
}
std::string point(double lon, double lat) {
  return R"({"type":"Point","coordinates":[)" + std::to_string(lon) + "," + std::to_string(lat) +
         "]}";
}

// A square around Berlin-Mitte (counter-clockwise, as GeoJSON writes it) and shapes about it.
constexpr const char* kSquare =
    "[[[13.40,52.50],[13.42,52.50],[13.42,52.52],[13.40,52.52],[13.40,52.50]]]";
constexpr const char* kSquareGeo =
    R"({"type":"Polygon","coordinates":[[[13.40,52.50],[13.42,52.50],[13.42,52.52],[13.40,52.52],[13.40,52.50]]]})";
// The same square, clockwise and starting at another corner.
constexpr const char* kSquareOtherWay =
    R"({"type":"Polygon","coordinates":[[[13.42,52.52],[13.42,52.50],[13.40,52.50],[13.40,52.52],[13.42,52.52]]]})";
constexpr const char* kInnerSquare =
    R"({"type":"Polygon","coordinates":[[[13.405,52.505],[13.415,52.505],[13.415,52.515],[13.405,52.515],[13.405,52.505]]]})";
constexpr const char* kShiftedSquare =
    R"({"type":"Polygon","coordinates":[[[13.41,52.51],[13.43,52.51],[13.43,52.53],[13.41,52.53],[13.41,52.51]]]})";
constexpr const char* kFarSquare =
    R"({"type":"Polygon","coordinates":[[[13.50,52.50],[13.52,52.50],[13.52,52.52],[13.50,52.52],[13.50,52.50]]]})";
constexpr const char* kLineInside =
    R"({"type":"LineString","coordinates":[[13.405,52.51],[13.415,52.51]]})";
constexpr const char* kLineAcross =
    R"({"type":"LineString","coordinates":[[13.39,52.51],[13.43,52.51]]})";

// The conformance suite's holed polygon (QueryEntities 019_30) and probes.
constexpr const char* kHoled =
    "[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]";
constexpr const char* kHoleProbe = R"({"type":"Point","coordinates":[5,5]})";
constexpr const char* kShellProbe = R"({"type":"Point","coordinates":[2,2]})";
constexpr const char* kHighLatProbe =
    R"({"type":"LineString","coordinates":[[0.0,85.6],[1.0,85.0]]})";
constexpr const char* kEastProbe = R"({"type":"Point","coordinates":[10.0,60.009]})";

}  // namespace

// ----- parsing ---------------------------------------------------------------

TEST(Geo, ParsesGeorels) {
  auto q = query("near;maxDistance==1.5e3", "Point", "[8,40]");
  EXPECT_EQ(q.rel, GeoRel::Near);
  EXPECT_EQ(q.maxDistance, 1500);
  EXPECT_FALSE(q.minDistance);
  EXPECT_EQ(q.geoproperty, "https://uri.etsi.org/ngsi-ld/location");
  EXPECT_EQ(q.geometry, json::parse(R"({"type":"Point","coordinates":[8,40]})"));
  ASSERT_TRUE(q.shape);

  q = query("near;minDistance==10", "Point", "[8,40]");
  EXPECT_EQ(q.minDistance, 10);
  EXPECT_FALSE(q.maxDistance);
  EXPECT_EQ(query("within", "Polygon", kSquare).rel, GeoRel::Within);
  EXPECT_EQ(query("contains", "Point", "[8,40]").rel, GeoRel::Contains);
  EXPECT_EQ(query("intersects", "Point", "[8,40]").rel, GeoRel::Intersects);
  EXPECT_EQ(query("equals", "Point", "[8,40]").rel, GeoRel::Equals);
  EXPECT_EQ(query("disjoint", "Point", "[8,40]").rel, GeoRel::Disjoint);
  EXPECT_EQ(query("overlaps", "Point", "[8,40]").rel, GeoRel::Overlaps);
  EXPECT_EQ(parseGeoQuery("within", "Polygon", json::parse(kSquare), "https://example.org/area")
                .geoproperty,
            "https://example.org/area");
}

TEST(Geo, RejectsMalformedGeorels) {
  EXPECT_NE(parseError("touches", "Point", "[8,40]").find("unknown georel 'touches'"),
            std::string::npos);
  EXPECT_NE(parseError("", "Point", "[8,40]").find("georel is missing"), std::string::npos);
  EXPECT_NE(parseError("near", "Point", "[8,40]").find("exactly one distance"), std::string::npos);
  EXPECT_NE(parseError("near;maxDistance==5;minDistance==1", "Point", "[8,40]").find("exactly one"),
            std::string::npos);
  EXPECT_NE(parseError("near;maxDistance=5", "Point", "[8,40]"), "");
  EXPECT_NE(parseError("near;farDistance==5", "Point", "[8,40]").find("'farDistance==5'"),
            std::string::npos);
  EXPECT_NE(parseError("within;maxDistance==5", "Polygon", kSquare).find("takes no modifiers"),
            std::string::npos);
  EXPECT_NE(parseError("Near;maxDistance==5", "Point", "[8,40]"), "");
  // PositiveNumber (4.10): unsigned JSON number, finite, non-zero (suite 019_30_01/02/13/14).
  for (const char* bad :
       {"0", "0.0", "-100", "+5", "inf", "nan", "1e400", "1e-400", "5m", "05", ".5", "5.", ""}) {
    EXPECT_NE(
        parseError(std::string("near;maxDistance==") + bad, "Point", "[8,40]").find("positive"),
        std::string::npos)
        << bad;
  }
  EXPECT_EQ(parseError("near;maxDistance==0.5", "Point", "[8,40]"), "");
  EXPECT_EQ(parseError("near;minDistance==2E+3", "Point", "[8,40]"), "");
}

TEST(Geo, RejectsMissingOrUnknownGeometry) {
  EXPECT_NE(parseError("within", "", "[8,40]").find("geometry is missing"), std::string::npos);
  EXPECT_NE(parseError("within", "Circle", "[8,40]").find("unknown geometry 'Circle'"),
            std::string::npos);
  EXPECT_NE(parseError("within", "GeometryCollection", "[]"), "");
  EXPECT_NE(parseErrorOf("within", "Point", json::value()).find("coordinates are missing"),
            std::string::npos);
}

TEST(Geo, RejectsBadCoordinates) {
  EXPECT_NE(parseError("intersects", "Point", "[8]").find("2 or 3 numbers"), std::string::npos);
  EXPECT_NE(parseError("intersects", "Point", "[8,\"40\"]").find("only numbers"),
            std::string::npos);
  EXPECT_NE(parseError("intersects", "Point", "[[8,40]]"), "");
  EXPECT_NE(parseError("intersects", "Point", "[200,0]").find("longitude 200 is out of range"),
            std::string::npos);
  EXPECT_NE(parseError("intersects", "Point", "[0,-91]").find("latitude -91 is out of range"),
            std::string::npos);
  EXPECT_NE(parseError("intersects", "LineString", "[[0,0]]").find("at least 2 positions"),
            std::string::npos);
  EXPECT_NE(parseError("intersects", "LineString", "[[0,0],[0,0]]").find("two distinct"),
            std::string::npos);
  EXPECT_NE(parseError("intersects", "MultiPoint", "[]"), "");
  EXPECT_NE(parseError("intersects", "MultiPolygon", "[]").find("at least one part"),
            std::string::npos);
  EXPECT_NE(parseError("within", "Polygon", "[8,40]"), "");
  EXPECT_NE(parseError("within", "Polygon", "[]").find("at least one linear ring"),
            std::string::npos);
  // Unclosed ring, too short a ring, a ring of one repeated position.
  EXPECT_EQ(parseError("within", "Polygon", "[[[0,0],[1,0],[1,1],[0,1]]]"),
            "invalid Polygon coordinates[0]: a linear ring must be closed (its last position equal "
            "to its first)");
  EXPECT_NE(parseError("within", "Polygon", "[[[0,0],[1,0],[0,0]]]").find("at least 4 positions"),
            std::string::npos);
  EXPECT_NE(parseError("within", "Polygon", "[[[0,0],[1,1],[1,1],[0,0]]]").find("three distinct"),
            std::string::npos);
  // The detail names the place of the fault.
  EXPECT_EQ(parseError("within", "MultiPolygon",
                       "[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,0],[1,95],[0,0]]]]"),
            "invalid MultiPolygon coordinates[1][0][2]: latitude 95 is out of range [-90, 90]");
}

TEST(Geo, AcceptsCoordinatesAsJsonText) {
  auto q = parseGeoQuery("near;maxDistance==10", "Point", json::value("[8, 40]"), "");
  EXPECT_EQ(q.geometry.at("coordinates"), json::parse("[8,40]"));
  EXPECT_NE(
      parseErrorOf("near;maxDistance==10", "Point", json::value("[8, 40")).find("not valid JSON"),
      std::string::npos);
}

// ----- near ------------------------------------------------------------------

TEST(Geo, NearMaxAndMinDistanceBetweenPoints) {
  // 13.4050,52.52 to 13.4124,52.52: 500.7 m on the sphere (502.3 m on WGS84).
  double d = haversine(13.4050, 52.52, 13.4124, 52.52);
  EXPECT_NEAR(d, 500.7, 0.1);
  std::string e = point(13.4124, 52.52);
  auto near = [&](std::string rel, double metres) {
    return matches(rel + std::to_string(metres), "Point", "[13.4050,52.52]", e);
  };
  EXPECT_TRUE(near("near;maxDistance==", d + 0.5));
  EXPECT_FALSE(near("near;maxDistance==", d - 0.5));
  EXPECT_TRUE(near("near;minDistance==", d - 0.5));
  EXPECT_FALSE(near("near;minDistance==", d + 0.5));
  // North-south: one degree of latitude.
  double degree = haversine(0, 0, 0, 1);
  EXPECT_TRUE(
      matches("near;maxDistance==" + std::to_string(degree + 1), "Point", "[0,0]", point(0, 1)));
  EXPECT_FALSE(
      matches("near;maxDistance==" + std::to_string(degree - 1), "Point", "[0,0]", point(0, 1)));
}

TEST(Geo, NearSuite019_10) {
  // Two buildings, 2.3 km and 20.7 km from the query point.
  const char* first = R"({"type":"Point","coordinates":[13.3986,52.5547]})";
  const char* second = R"({"type":"Point","coordinates":[13.509818,52.363457]})";
  EXPECT_TRUE(matches("near;maxDistance==15000", "Point", "[13.388930, 52.534473]", first));
  EXPECT_FALSE(matches("near;maxDistance==15000", "Point", "[13.388930, 52.534473]", second));
  EXPECT_FALSE(matches("near;minDistance==15000", "Point", "[13.388930, 52.534473]", first));
  EXPECT_TRUE(matches("near;minDistance==15000", "Point", "[13.388930, 52.534473]", second));
}

TEST(Geo, NearMeasuresToTheClosestPointOfAnExtendedGeometry) {
  // Suite 019_30_09/10: a reference LineString; the probe is ~1 km from its end.
  EXPECT_TRUE(matches("near;maxDistance==2000", "LineString", "[[0,60],[10,60]]", kEastProbe));
  EXPECT_FALSE(matches("near;maxDistance==2000", "LineString", "[[0,61],[10,61]]", kEastProbe));
  // Suite 019_30_11/12: from [0,85] the entity line is ~9.6 km away, not 67 km.
  double d = crossTrack(0, 85.6, 1, 85, 0, 85);
  EXPECT_LT(d, haversine(0, 85, 1, 85));
  EXPECT_NEAR(d, 9602, 5);
  EXPECT_TRUE(
      matches("near;maxDistance==" + std::to_string(d + 1), "Point", "[0,85]", kHighLatProbe));
  EXPECT_FALSE(
      matches("near;maxDistance==" + std::to_string(d - 1), "Point", "[0,85]", kHighLatProbe));
  EXPECT_TRUE(matches("near;maxDistance==20000", "Point", "[0,85]", kHighLatProbe));
  EXPECT_FALSE(matches("near;maxDistance==5000", "Point", "[0,85]", kHighLatProbe));
  // A point beside the middle of an equator segment: one degree of arc.
  const char* equator = R"({"type":"LineString","coordinates":[[0,0],[2,0]]})";
  EXPECT_TRUE(matches("near;maxDistance==111196", "Point", "[1,1]", equator));
  EXPECT_FALSE(matches("near;maxDistance==111194", "Point", "[1,1]", equator));
}

TEST(Geo, NearPolygonIsZeroInsideAndMeasuredFromAHole) {
  std::string holed = std::string(R"({"type":"Polygon","coordinates":)") + kHoled + "}";
  EXPECT_TRUE(matches("near;maxDistance==1", "Point", "[2,2]", holed));
  EXPECT_FALSE(matches("near;minDistance==1", "Point", "[2,2]", holed));
  // From the hole's centre the nearest edges are the meridian arcs at lon 4 and 6.
  double toHoleEdge = kR * std::asin(std::cos(rad(5)) * std::sin(rad(1)));
  EXPECT_TRUE(
      matches("near;maxDistance==" + std::to_string(toHoleEdge + 1), "Point", "[5,5]", holed));
  EXPECT_FALSE(
      matches("near;maxDistance==" + std::to_string(toHoleEdge - 1), "Point", "[5,5]", holed));
  // A query polygon works as a reference too (distance 0 for what lies inside it).
  EXPECT_TRUE(matches("near;maxDistance==1", "Polygon", kHoled, kShellProbe));
  EXPECT_FALSE(matches("near;maxDistance==1", "Polygon", kHoled, kHoleProbe));
}

// ----- the OGC relations -----------------------------------------------------

TEST(Geo, PointAndPolygon) {
  std::string inside = point(13.41, 52.51), outside = point(13.45, 52.51),
              corner = point(13.40, 52.50);
  EXPECT_TRUE(matches("within", "Polygon", kSquare, inside));
  EXPECT_FALSE(matches("within", "Polygon", kSquare, outside));
  EXPECT_FALSE(matches("within", "Polygon", kSquare, corner));  // OGC: the boundary is not within
  EXPECT_TRUE(matches("intersects", "Polygon", kSquare, inside));
  EXPECT_TRUE(matches("intersects", "Polygon", kSquare, corner));
  EXPECT_FALSE(matches("intersects", "Polygon", kSquare, outside));
  EXPECT_FALSE(matches("disjoint", "Polygon", kSquare, inside));
  EXPECT_TRUE(matches("disjoint", "Polygon", kSquare, outside));
  EXPECT_FALSE(matches("contains", "Polygon", kSquare, inside));
  EXPECT_FALSE(matches("overlaps", "Polygon", kSquare, inside));
  EXPECT_FALSE(matches("equals", "Polygon", kSquare, inside));
  // Entity polygon, query point.
  EXPECT_TRUE(matches("contains", "Point", "[13.41,52.51]", kSquareGeo));
  EXPECT_FALSE(matches("contains", "Point", "[13.45,52.51]", kSquareGeo));
  EXPECT_FALSE(matches("within", "Point", "[13.41,52.51]", kSquareGeo));
  EXPECT_TRUE(matches("intersects", "Point", "[13.41,52.51]", kSquareGeo));
}

TEST(Geo, PointAndPoint) {
  std::string p = point(13.3986, 52.5547);
  EXPECT_TRUE(matches("equals", "Point", "[13.3986, 52.5547]", p));
  EXPECT_TRUE(matches("contains", "Point", "[13.3986, 52.5547]", p));
  EXPECT_TRUE(matches("within", "Point", "[13.3986, 52.5547]", p));
  EXPECT_TRUE(matches("intersects", "Point", "[13.3986, 52.5547]", p));
  EXPECT_FALSE(matches("disjoint", "Point", "[13.3986, 52.5547]", p));
  EXPECT_FALSE(matches("equals", "Point", "[13.3987, 52.5547]", p));
  EXPECT_TRUE(matches("disjoint", "Point", "[13.3987, 52.5547]", p));
  const char* ab = R"({"type":"MultiPoint","coordinates":[[0,0],[1,1]]})";
  EXPECT_TRUE(matches("overlaps", "MultiPoint", "[[1,1],[2,2]]", ab));
  EXPECT_FALSE(matches("overlaps", "MultiPoint", "[[1,1],[0,0]]", ab));  // equal, not overlapping
  EXPECT_TRUE(matches("equals", "MultiPoint", "[[1,1],[0,0]]", ab));
  EXPECT_TRUE(matches("contains", "Point", "[1,1]", ab));
}

TEST(Geo, LinesAndPolygons) {
  EXPECT_TRUE(matches("within", "Polygon", kSquare, kLineInside));
  EXPECT_FALSE(matches("within", "Polygon", kSquare, kLineAcross));
  EXPECT_TRUE(matches("intersects", "Polygon", kSquare, kLineAcross));
  EXPECT_FALSE(matches("overlaps", "Polygon", kSquare, kLineAcross));  // different dimensions
  EXPECT_TRUE(matches("contains", "LineString", "[[13.405,52.51],[13.415,52.51]]", kSquareGeo));
  EXPECT_TRUE(matches("intersects", "LineString", "[[13.41,52.49],[13.41,52.53]]", kLineAcross));
  EXPECT_FALSE(matches("disjoint", "LineString", "[[13.41,52.49],[13.41,52.53]]", kLineAcross));
  // Collinear lines on the equator (a great circle).
  const char* equator = R"({"type":"LineString","coordinates":[[0,0],[2,0]]})";
  EXPECT_TRUE(matches("overlaps", "LineString", "[[1,0],[3,0]]", equator));
  EXPECT_FALSE(matches("overlaps", "LineString", "[[3,0],[4,0]]", equator));
  EXPECT_TRUE(matches("equals", "LineString", "[[2,0],[0,0]]", equator));
  EXPECT_TRUE(matches("equals", "MultiLineString", "[[[0,0],[1,0]],[[1,0],[2,0]]]", equator));
  EXPECT_TRUE(matches("contains", "LineString", "[[0.5,0],[1.5,0]]", equator));
  EXPECT_TRUE(matches("within", "LineString", "[[-1,0],[3,0]]", equator));
}

TEST(Geo, PolygonAndPolygon) {
  EXPECT_TRUE(matches("within", "Polygon", kSquare, kInnerSquare));
  EXPECT_FALSE(matches("contains", "Polygon", kSquare, kInnerSquare));
  EXPECT_TRUE(
      matches("contains", "Polygon",
              "[[[13.405,52.505],[13.415,52.505],[13.415,52.515],[13.405,52.515],[13.405,52.505]]]",
              kSquareGeo));
  EXPECT_TRUE(matches("overlaps", "Polygon", kSquare, kShiftedSquare));
  EXPECT_TRUE(matches("intersects", "Polygon", kSquare, kShiftedSquare));
  EXPECT_FALSE(matches("within", "Polygon", kSquare, kShiftedSquare));
  EXPECT_FALSE(matches("overlaps", "Polygon", kSquare, kInnerSquare));  // inside is not overlapping
  EXPECT_TRUE(matches("disjoint", "Polygon", kSquare, kFarSquare));
  EXPECT_FALSE(matches("intersects", "Polygon", kSquare, kFarSquare));
  // Equal regardless of ring orientation and starting vertex.
  EXPECT_TRUE(matches("equals", "Polygon", kSquare, kSquareOtherWay));
  EXPECT_TRUE(matches("within", "Polygon", kSquare, kSquareOtherWay));
  EXPECT_FALSE(matches("overlaps", "Polygon", kSquare, kSquareOtherWay));
  EXPECT_FALSE(matches("equals", "Polygon", kSquare, kInnerSquare));
  EXPECT_TRUE(matches("within", "MultiPolygon", std::string("[") + kSquare + "]", kInnerSquare));
}

TEST(Geo, PolygonWithAHole) {
  // Suite 019_30_06: within the holed polygon, only the shell probe matches.
  EXPECT_FALSE(matches("within", "Polygon", kHoled, kHoleProbe));
  EXPECT_TRUE(matches("within", "Polygon", kHoled, kShellProbe));
  EXPECT_FALSE(matches("within", "Polygon", kHoled, kHighLatProbe));
  EXPECT_FALSE(matches("within", "Polygon", kHoled, kEastProbe));
  EXPECT_FALSE(matches("intersects", "Polygon", kHoled, kHoleProbe));
  EXPECT_TRUE(matches("disjoint", "Polygon", kHoled, kHoleProbe));
  const char* inHole =
      R"({"type":"Polygon","coordinates":[[[4.5,4.5],[5.5,4.5],[5.5,5.5],[4.5,5.5],[4.5,4.5]]]})";
  EXPECT_TRUE(matches("disjoint", "Polygon", kHoled, inHole));
  const char* acrossHole = R"({"type":"LineString","coordinates":[[3,5],[7,5]]})";
  EXPECT_TRUE(matches("intersects", "Polygon", kHoled, acrossHole));
  EXPECT_FALSE(matches("within", "Polygon", kHoled, acrossHole));
  std::string holed = std::string(R"({"type":"Polygon","coordinates":)") + kHoled + "}";
  EXPECT_FALSE(matches("contains", "Point", "[5,5]", holed));
  EXPECT_TRUE(matches("contains", "Point", "[2,2]", holed));
}

TEST(Geo, Suite019_11Polygons) {
  // The suite's two buildings; the first polygon has a tiny self-intersection.
  const char* first =
      R"({"type":"Polygon","coordinates":[[[13.2865906,52.5648645],[13.2879639,52.5648645],[13.2797241,52.4988679],[13.477478,52.4712703],[13.5049438,52.5373084],[13.2865906,52.5648645]]]})";
  const char* second =
      R"({"type":"Polygon","coordinates":[[[13.315773,52.4757209],[13.339119,52.4443421],[13.3892441,52.4669371],[13.315773,52.4757209]]]})";
  auto count = [&](std::string_view rel, std::string_view type, std::string_view coords) {
    auto q = query(rel, type, coords);
    return int(geoMatches(q, json::parse(first))) + int(geoMatches(q, json::parse(second)));
  };
  EXPECT_EQ(count("equals", "Polygon",
                  "[[[13.2865906,52.5648645],[13.2879639,52.5648645],[13.2797241,52.4988679],[13."
                  "477478,52.4712703],[13.5049438,52.5373084],[13.2865906,52.5648645]]]"),
            1);
  const char* q2 =
      "[[[13.3456421,52.4794848],[13.3641815,52.4428773],[13.4177399,52.4730023],[13.3459854,52."
      "479903],[13.3456421,52.4794848]]]";
  EXPECT_EQ(count("intersects", "Polygon", q2), 1);
  EXPECT_EQ(count("overlaps", "Polygon", q2), 1);
  EXPECT_EQ(count("contains", "Polygon",
                  "[[[13.3844376,52.5356966],[13.3844376,52.5356966],[13.381691,52.5123012],[13."
                  "4235764,52.5100027],[13.4331894,52.5273425],[13.3844376,52.5356966]]]"),
            1);
  const char* q4 =
      "[[[13.1369019,52.5198225],[13.1365585,52.5200314],[13.131752,52.4980907],[13.1832504,52."
      "5026887],[13.1369019,52.5198225]]]";
  EXPECT_EQ(count("contains", "Polygon", q4), 0);
  EXPECT_EQ(count("disjoint", "Polygon", q4), 2);
  EXPECT_EQ(count("within", "Polygon",
                  "[[[13.3023834,52.4903066],[13.3027267,52.4905156],[13.2745743,52.465632],[13."
                  "3343124,52.4185447],[13.4311295,52.47107],[13.3023834,52.4903066]]]"),
            1);
  EXPECT_EQ(count("contains", "Point", "[13.3442688,52.4650045]"), 1);
}

TEST(Geo, Suite019_10PointsInAPolygon) {
  const char* polygon =
      "[[[13.1616211,52.5438124],[13.597641,52.4840224],[13.5948944,52.3402782],[13.142395,52."
      "386428],[13.1616211,52.5438124]]]";
  const char* first = R"({"type":"Point","coordinates":[13.3986,52.5547]})";
  const char* second = R"({"type":"Point","coordinates":[13.509818,52.363457]})";
  // The first building lies north of the polygon's top edge, the second inside.
  EXPECT_TRUE(matches("within", "Polygon", polygon, second));
  EXPECT_TRUE(matches("disjoint", "Polygon", polygon, first));
}

TEST(Geo, GeometryCollectionEntity) {
  const char* gc =
      R"({"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[13.41,52.51]},{"type":"Point","coordinates":[13.60,52.51]}]})";
  EXPECT_TRUE(matches("intersects", "Polygon", kSquare, gc));
  EXPECT_FALSE(matches("within", "Polygon", kSquare, gc));
  EXPECT_FALSE(matches("disjoint", "Polygon", kSquare, gc));
  EXPECT_TRUE(matches("near;maxDistance==10", "Point", "[13.60,52.51]", gc));
}

TEST(Geo, UnreadableEntityGeometryNeverMatches) {
  for (const char* rel : {"intersects", "disjoint", "within"}) {
    EXPECT_FALSE(matches(rel, "Polygon", kSquare, R"({"type":"Point","coordinates":[200,0]})"))
        << rel;
    EXPECT_FALSE(matches(rel, "Polygon", kSquare, R"("not a geometry")")) << rel;
    EXPECT_FALSE(matches(rel, "Polygon", kSquare, R"({"type":"MultiPolygon","coordinates":[]})"))
        << rel;
  }
}

TEST(Geo, HandBuiltQueryWithoutShape) {
  GeoQuery q;
  q.rel = GeoRel::Within;
  q.geometry = json::parse(std::string(R"({"type":"Polygon","coordinates":)") + kSquare + "}");
  EXPECT_TRUE(geoMatches(q, json::parse(point(13.41, 52.51))));
  EXPECT_FALSE(geoMatches(q, json::parse(point(13.45, 52.51))));
  auto box = candidateBox(q);
  ASSERT_TRUE(box);
  EXPECT_NEAR(box->minLon, 13.40, 1e-6);
}

TEST(Geo, Antimeridian) {
  // The shorter arc from 179 to -179 crosses the antimeridian.
  const char* line = R"({"type":"LineString","coordinates":[[179,0],[-179,0]]})";
  EXPECT_TRUE(matches("intersects", "Polygon",
                      "[[[179.5,-1],[-179.5,-1],[-179.5,1],[179.5,1],[179.5,-1]]]", line));
  EXPECT_TRUE(matches("near;maxDistance==1000", "Point", "[180,0]", line));
  EXPECT_TRUE(matches("near;maxDistance==1000", "Point", "[-180,0]", line));
  auto box = boundingBox(json::parse(line));
  ASSERT_TRUE(box);
  EXPECT_EQ(box->minLon, 179);
  EXPECT_EQ(box->maxLon, -179);
}

// ----- boxes -----------------------------------------------------------------

TEST(Geo, BoundingBoxFollowsGreatCircles) {
  auto box = boundingBox(json::parse(R"({"type":"LineString","coordinates":[[0,60],[10,60]]})"));
  ASSERT_TRUE(box);
  EXPECT_EQ(box->minLon, 0);
  EXPECT_EQ(box->maxLon, 10);
  EXPECT_EQ(box->minLat, 60);
  EXPECT_NEAR(box->maxLat, 60.0945, 1e-3);  // the arc bulges poleward
  box = boundingBox(json::parse(point(13.4, 52.5)));
  ASSERT_TRUE(box);
  EXPECT_EQ(box->minLon, box->maxLon);
  EXPECT_FALSE(boundingBox(json::parse(R"({"type":"Point","coordinates":[0,100]})")));
  // A polygon around the north pole spans all longitudes.
  box = boundingBox(json::parse(
      R"({"type":"Polygon","coordinates":[[[0,80],[90,80],[180,80],[-90,80],[0,80]]]})"));
  ASSERT_TRUE(box);
  EXPECT_EQ(box->minLon, -180);
  EXPECT_EQ(box->maxLon, 180);
  EXPECT_EQ(box->maxLat, 90);
}

TEST(Geo, CandidateBoxes) {
  EXPECT_FALSE(candidateBox(query("disjoint", "Polygon", kSquare)));
  EXPECT_FALSE(candidateBox(query("near;minDistance==10", "Point", "[8,40]")));
  auto box = candidateBox(query("within", "Polygon", kSquare));
  ASSERT_TRUE(box);
  EXPECT_NEAR(box->minLon, 13.40, 1e-6);
  EXPECT_NEAR(box->maxLat, 52.52, 1e-3);
  // near;maxDistance: the circle's box, wider in longitude at higher latitude.
  box = candidateBox(query("near;maxDistance==1000", "Point", "[0,0]"));
  ASSERT_TRUE(box);
  double deg = 1000 / kR * 180 / std::numbers::pi;
  EXPECT_NEAR(box->maxLat, deg, 1e-6);
  EXPECT_NEAR(box->maxLon, deg, 1e-6);
  box = candidateBox(query("near;maxDistance==20000", "Point", "[0,85]"));
  ASSERT_TRUE(box);
  double halfWidth = std::asin(std::sin(20000 / kR) / std::cos(rad(85))) * 180 / std::numbers::pi;
  EXPECT_NEAR(box->maxLon, halfWidth, 1e-6);
  EXPECT_NEAR(box->minLon, -halfWidth, 1e-6);
  // A circle reaching the pole covers every longitude.
  box = candidateBox(query("near;maxDistance==20000", "Point", "[0,89.9]"));
  ASSERT_TRUE(box);
  EXPECT_EQ(box->minLon, -180);
  EXPECT_EQ(box->maxLon, 180);
  EXPECT_EQ(box->maxLat, 90);
  // A circle across the antimeridian gives a wrapped box.
  box = candidateBox(query("near;maxDistance==10000", "Point", "[179.99,0]"));
  ASSERT_TRUE(box);
  EXPECT_GT(box->minLon, box->maxLon);
  EXPECT_LT(box->maxLon, -179.9);
}

namespace {
bool lonInside(double lon, const GeoBox& b) {
  return b.minLon <= b.maxLon ? lon >= b.minLon && lon <= b.maxLon
                              : lon >= b.minLon || lon <= b.maxLon;
}
}  // namespace

// Every point that matches near;maxDistance lies in the candidate box.
TEST(Geo, CandidateBoxHoldsEveryNearMatch) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(-1, 1);
  struct Centre {
    double lon, lat, metres;
  };
  for (Centre c : {Centre{13.4, 52.5, 5000}, Centre{0, 85, 50000}, Centre{179.9, -60, 30000},
                   Centre{-179.95, 10, 20000}, Centre{45, -89.5, 100000}}) {
    auto q = query("near;maxDistance==" + std::to_string(c.metres), "Point",
                   "[" + std::to_string(c.lon) + "," + std::to_string(c.lat) + "]");
    auto box = candidateBox(q);
    ASSERT_TRUE(box);
    // Sample around the circle, three radii out (in longitude scaled by latitude).
    double rDeg = c.metres / kR * 180 / std::numbers::pi;
    double lonSpread =
        std::min(180.0, 3 * rDeg / std::cos(rad(std::min(89.9, std::abs(c.lat) + rDeg))));
    int matched = 0;
    for (int i = 0; i < 4000; ++i) {
      double lat = std::clamp(c.lat + unit(rng) * 3 * rDeg, -90.0, 90.0);
      double lon = c.lon + unit(rng) * lonSpread;
      lon = lon > 180 ? lon - 360 : lon < -180 ? lon + 360 : lon;
      if (!geoMatches(q, json::parse(point(lon, lat)))) continue;
      ++matched;
      EXPECT_TRUE(lonInside(lon, *box) && lat >= box->minLat && lat <= box->maxLat)
          << c.lon << "," << c.lat << ": " << lon << "," << lat;
    }
    EXPECT_GT(matched, 200) << c.lon << "," << c.lat;
    EXPECT_LT(matched, 3600) << c.lon << "," << c.lat;
  }
}

TEST(Geo, BoxFilterAgreesWithTheExactNearCheckForPoints) {
  // The near filter decides points from the index alone (a flat-earth estimate
  // where it is safe, haversine otherwise): it must agree with the exact check.
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> unit(-1, 1);
  for (auto [lon, lat, metres] : {std::tuple{13.4, 52.5, 500.0}, std::tuple{0.0, 0.0, 2000.0},
                                  std::tuple{20.0, 80.0, 500.0}, std::tuple{179.999, -33.0, 800.0},
                                  std::tuple{-70.0, -88.0, 300.0}, std::tuple{5.0, 45.0, 90000.0}}) {
    auto q = query("near;maxDistance==" + std::to_string(metres), "Point",
                   "[" + std::to_string(lon) + "," + std::to_string(lat) + "]");
    auto keep = boxFilter(q);
    ASSERT_TRUE(keep);
    double rDeg = metres / kR * 180 / std::numbers::pi;
    int inside = 0, outside = 0;
    for (int i = 0; i < 3000; ++i) {
      double plat = std::clamp(lat + unit(rng) * 2 * rDeg, -90.0, 90.0);
      double plon = lon + unit(rng) * std::min(170.0, 2 * rDeg / std::cos(rad(std::min(89.0, std::abs(plat)))));
      plon = plon > 180 ? plon - 360 : plon < -180 ? plon + 360 : plon;
      double d = haversine(lon, lat, plon, plat);
      if (std::abs(d - metres) < 0.01) continue;  // rounding may decide either way
      bool exact = geoMatches(q, json::parse(point(plon, plat)));
      EXPECT_EQ(keep(GeoBox{plon, plat, plon, plat}), exact) << lon << "," << lat << " -> " << plon << "," << plat;
      (exact ? inside : outside)++;
    }
    EXPECT_GT(inside, 300);
    EXPECT_GT(outside, 300);
  }
}

// ----- GeoIndex --------------------------------------------------------------

// The keys intersecting a box as the index visits them (once per intersecting box).
std::vector<uint64_t> visited(const GeoIndex& index, const GeoBox& box,
                              const std::function<bool(const GeoBox&)>& keep = {}) {
  std::vector<uint64_t> keys;
  index.forEachIntersecting(box, keep, [&keys](uint64_t k) { return keys.push_back(k), true; });
  return keys;
}

// The keys intersecting a box, ascending, each once.
std::vector<uint64_t> found(const GeoIndex& index, const GeoBox& box,
                            const std::function<bool(const GeoBox&)>& keep = {}) {
  auto keys = visited(index, box, keep);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

TEST(GeoIndex, InsertQueryRemove) {
  GeoIndex index;
  index.insert(1, {13.40, 52.50, 13.42, 52.52});
  index.insert(2, {13.50, 52.50, 13.52, 52.52});
  index.insert(3, {13.41, 52.51, 13.41, 52.51});  // a point
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(found(index, {13.405, 52.505, 13.415, 52.515}), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(found(index, {13.42, 52.52, 13.50, 52.60}),
            (std::vector<uint64_t>{1, 2}));  // edges touch
  EXPECT_TRUE(found(index, {0, 0, 1, 1}).empty());
  index.remove(1, {13.40, 52.50, 13.42, 52.52});
  index.remove(2, {0, 0, 1, 1});  // not held: nothing happens
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(found(index, {-180, -90, 180, 90}), (std::vector<uint64_t>{2, 3}));
}

TEST(GeoIndex, VisitsAsItFindsInOneOrderAndStopsWhenAsked) {
  GeoIndex index;
  for (uint64_t k = 1; k <= 200; ++k) index.insert(k, {13.0 + k * 0.001, 52.5, 13.0 + k * 0.001, 52.5});
  index.insert(201, {13.05, 52.5, 13.05, 52.5});  // a box two keys share
  GeoBox area{13.02, 52.4, 13.12, 52.6};
  std::vector<uint64_t> some;
  auto first = visited(index, area);
  EXPECT_EQ(first, visited(index, area));  // the same order while the index is unchanged
  auto sorted = first;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted.size(), 102u);
  EXPECT_EQ(sorted.front(), 20u);
  EXPECT_EQ(sorted.back(), 201u);
  EXPECT_TRUE(index.forEachIntersecting(area, {}, [](uint64_t) { return true; }));
  EXPECT_FALSE(index.forEachIntersecting(area, {}, [&](uint64_t k) { return some.push_back(k), some.size() < 5; }));
  EXPECT_EQ(some, std::vector<uint64_t>(first.begin(), first.begin() + 5));
}

TEST(GeoIndex, SeveralBoxesPerKey) {
  GeoIndex index;
  index.insert(7, {0, 0, 1, 1});
  index.insert(7, {0.5, 0.5, 2, 2});
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(found(index, {0.6, 0.6, 0.7, 0.7}), (std::vector<uint64_t>{7}));
  index.remove(7, {0, 0, 1, 1});
  EXPECT_EQ(found(index, {0.1, 0.1, 0.2, 0.2}), (std::vector<uint64_t>{}));
  EXPECT_EQ(found(index, {1.5, 1.5, 1.6, 1.6}), (std::vector<uint64_t>{7}));
}

TEST(GeoIndex, BoxesAcrossTheAntimeridian) {
  GeoIndex index;
  index.insert(1, {179, -1, -179, 1});
  index.insert(2, {170, -1, 171, 1});
  EXPECT_EQ(found(index, {179.5, 0, 179.6, 0.1}), (std::vector<uint64_t>{1}));
  EXPECT_EQ(found(index, {-179.6, 0, -179.5, 0.1}), (std::vector<uint64_t>{1}));
  EXPECT_EQ(found(index, {178, 0, -178, 0.1}), (std::vector<uint64_t>{1}));
  EXPECT_TRUE(found(index, {0, -1, 10, 1}).empty());
  EXPECT_EQ(found(index, {-180, -90, 180, 90}), (std::vector<uint64_t>{1, 2}));
  index.remove(1, {179, -1, -179, 1});
  EXPECT_EQ(index.size(), 1u);
  EXPECT_TRUE(found(index, {178, 0, -178, 0.1}).empty());
}

TEST(GeoIndex, IdenticalBoxesInsertedOneByOneShareAnEntry) {
  GeoIndex index;
  GeoBox site{13.4, 52.5, 13.4, 52.5};
  index.insert(10, site);
  EXPECT_EQ(found(index, {13, 52, 14, 53}), (std::vector<uint64_t>{10}));
  index.insert(11, site);  // the entry turns into a group
  index.insert(12, site);
  index.insert(13, {13.6, 52.5, 13.6, 52.5});
  EXPECT_EQ(found(index, {13, 52, 14, 53}), (std::vector<uint64_t>{10, 11, 12, 13}));
  auto onlySite = [](const GeoBox& b) { return b.minLon == 13.4; };
  EXPECT_EQ(found(index, {13, 52, 14, 53}, onlySite), (std::vector<uint64_t>{10, 11, 12}));
  index.remove(10, site);
  index.remove(12, site);
  EXPECT_EQ(found(index, {13, 52, 14, 53}), (std::vector<uint64_t>{11, 13}));
  index.remove(11, site);
  EXPECT_EQ(found(index, {13, 52, 14, 53}), (std::vector<uint64_t>{13}));
  EXPECT_EQ(index.size(), 1u);
  index.insert(14, site);  // the box comes back as a single entry
  EXPECT_EQ(found(index, {13.3, 52.4, 13.5, 52.6}), (std::vector<uint64_t>{14}));
}

// How the store uses the pieces: boxes into the index, candidates out, exact filter.
TEST(GeoIndex, CandidatesThenExactFilter) {
  std::vector<std::string> geometries = {point(13.41, 52.51), point(13.45, 52.51), kInnerSquare,
                                         kFarSquare, kLineAcross};
  GeoIndex index;
  for (size_t i = 0; i < geometries.size(); ++i)
    index.insert(i, *boundingBox(json::parse(geometries[i])));
  auto q = query("within", "Polygon", kSquare);
  std::vector<uint64_t> result;
  for (uint64_t key : found(index, *candidateBox(q)))
    if (geoMatches(q, json::parse(geometries[key]))) result.push_back(key);
  EXPECT_EQ(result, (std::vector<uint64_t>{0, 2}));
  GeoIndex moved = std::move(index);
  EXPECT_EQ(moved.size(), geometries.size());
}

TEST(GeoIndex, BulkLoadGroupsIdenticalBoxes) {
  allmende::query::GeoIndex index;
  std::vector<std::pair<uint64_t, allmende::query::GeoBox>> pairs;
  for (uint64_t k = 0; k < 1000; ++k) pairs.push_back({k, {13.4, 52.5, 13.4, 52.5}});  // one site
  pairs.push_back({5000, {10, 50, 10, 50}});
  index.bulkLoad(pairs);
  EXPECT_EQ(index.size(), 1001u);
  EXPECT_EQ(visited(index, {13, 52, 14, 53}).size(), 1000u);
  for (uint64_t k = 0; k < 999; ++k) index.remove(k, {13.4, 52.5, 13.4, 52.5});
  auto left = found(index, {13, 52, 14, 53});
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0], 999u);
  index.remove(999, {13.4, 52.5, 13.4, 52.5});
  EXPECT_TRUE(visited(index, {13, 52, 14, 53}).empty());
  EXPECT_EQ(visited(index, {9, 49, 11, 51}), std::vector<uint64_t>{5000});
}
