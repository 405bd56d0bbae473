// Geo-queries (NGSI-LD clause 4.10): parsing georel/geometry/coordinates,
// evaluating a georel against an entity's GeoJSON geometry, candidate boxes,
// and the R-tree the embedded store keeps per tenant and GeoProperty.
//
// The idea: every geometry is read into Boost.Geometry types on the sphere
// (cs::spherical_equatorial<degree>; positions are [lon, lat], altitude is
// ignored) and normalised into one of three multi-geometries by dimension
// (MultiPoint, MultiLineString, MultiPolygon), so each algorithm is compiled for
// nine type pairs only. A query geometry is converted once, in parseGeoQuery;
// the entity geometry per call.
//
// Choices (checked against the ETSI suite, QueryEntities 019_10, 019_11, 019_30):
// - Edges are great-circle arcs, as in MongoDB's 2dsphere index that Orion-LD
//   uses (RFC 7946 draws straight lon/lat lines; the two differ by metres on
//   city-scale edges, by kilometres on long east-west edges at high latitude:
//   [0,60]-[10,60] bulges 10 km north). A two-position line always takes the
//   shorter arc, so [179,0]-[-179,0] crosses the antimeridian.
// - Distances are metres on a sphere of the mean Earth radius 6371008.8 m (the
//   strategy Boost calls haversine for points, cross-track for segments); the
//   error against the WGS84 ellipsoid is below 0.5 % (0.3 % east-west at
//   Berlin: 13.4050,52.52 to 13.4124,52.52 is 500.7 m here, 502.3 m on WGS84).
// - georel grammar: near;maxDistance==N or near;minDistance==N with exactly
//   one modifier; N is a JSON number without sign, finite and non-zero (4.10
//   PositiveNumber; 019_30 rejects 0, -100, inf, 1e400 and two modifiers).
//   near takes any geometry type, the distance being the shortest one between
//   the query and the entity geometry (019_30_09 queries near a LineString);
//   a point inside a polygon is at distance 0, a point in a hole is not.
// - within, contains, equals, overlaps, intersects, disjoint follow OGC Simple
//   Features (the spec's reference [14]) by their DE-9IM masks, computed by
//   bg::relate on the sphere: within = entity within query (a point on the
//   boundary is not within), contains = entity contains query, overlaps needs
//   equal dimensions, disjoint = not intersects. Polygon holes are honoured.
// - Rings: at least 4 positions, closed; repeated consecutive positions are
//   dropped (019_11_03 repeats one), and rings are re-oriented (Boost wants a
//   clockwise exterior, GeoJSON writes it counter-clockwise), so a ring always
//   bounds the smaller of the two areas it separates: polygons larger than a
//   hemisphere cannot be expressed.
// - Self-intersecting polygons are not rejected (two of the suite's polygons
//   have a tiny bow-tie at their first vertex) and are evaluated as given:
//   Boost's results on them are best effort. Geometries with identical
//   coordinates are treated as equal without relate, which is exact for valid
//   ones and keeps equals working for invalid ones (019_11_01).
// - An entity GeometryCollection is evaluated member by member: intersects and
//   contains if any member does, within and disjoint if all do, near by the
//   nearest member; equals and overlaps only for one member. A query geometry
//   must be one of the six simple types. An entity value that cannot be read
//   never matches, whatever the georel; nor does one on which Boost throws.
// - Boxes (boundingBox, candidateBox, GeoIndex) are lon/lat boxes that may
//   cross the antimeridian (minLon > maxLon); the near box widens with latitude
//   (asin(sin r / cos lat)) and spans all longitudes when the circle reaches a
//   pole. Disjoint and near;minDistance have no candidate box.
#include "query/geo.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <unordered_map>
#include <variant>

#include <boost/geometry.hpp>
#include <boost/function_output_iterator.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/json.hpp>

#include "ngsi/error.h"

namespace allmende::query {

namespace json = boost::json;
namespace bg = boost::geometry;

namespace {

constexpr double kEarthRadius = 6371008.8;  // metres, IUGG mean radius
constexpr double kBoxSlack = 1e-9;          // degrees (0.1 mm) added around candidate boxes
constexpr const char* kDefaultGeoProperty = "https://uri.etsi.org/ngsi-ld/location";

using Point = bg::model::point<double, 2, bg::cs::spherical_equatorial<bg::degree>>;
using MultiPoint = bg::model::multi_point<Point>;
using Line = bg::model::linestring<Point>;
using MultiLine = bg::model::multi_linestring<Line>;
using Polygon = bg::model::polygon<Point>;  // clockwise exterior, closed (Boost's defaults)
using Ring = Polygon::ring_type;
using MultiPolygon = bg::model::multi_polygon<Polygon>;
using SphereBox = bg::model::box<Point>;

// One geometry of dimension 0, 1 or 2 (the variant index).
using Part = std::variant<MultiPoint, MultiLine, MultiPolygon>;

// A lon/lat box whose east edge may exceed 180 (when it crosses the
// antimeridian), so that west <= east always holds.
struct Extent {
  double west, south, east, north;
};

}  // namespace

// A geometry ready for evaluation: one part, or one per member of an entity's
// GeometryCollection; and its extent.
struct GeoShape {
  std::vector<Part> parts;
  Extent extent{};
};

namespace {

// ---------------------------------------------------------------------------
// Reading GeoJSON coordinates

// A fault in a geometry, with the place it was found ("coordinates[0][3]: ...").
struct Fault {
  std::string detail;
};

class Reader {
 public:
  // Reads `coordinates` of a geometry of the given type into a Part.
  Part part(std::string_view type, const json::value& coordinates) {
    if (type == "Point") return MultiPoint{position(coordinates)};
    if (type == "MultiPoint") return positions<MultiPoint>(coordinates, 1, "a MultiPoint");
    if (type == "LineString") return MultiLine{line(coordinates)};
    if (type == "MultiLineString") {
      return each<MultiLine>(coordinates, "a MultiLineString",
                             [&](const json::value& v) { return line(v); });
    }
    if (type == "Polygon") return MultiPolygon{polygon(coordinates)};
    if (type == "MultiPolygon") {
      return each<MultiPolygon>(coordinates, "a MultiPolygon",
                                [&](const json::value& v) { return polygon(v); });
    }
    throw Fault{"unknown geometry type '" + std::string(type) + "'"};
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::string at = "coordinates";
    for (size_t i : path_) at += "[" + std::to_string(i) + "]";
    throw Fault{at + ": " + what};
  }

  const json::array& array(const json::value& v, const char* what) const {
    if (!v.is_array()) fail(std::string("expected ") + what);
    return v.get_array();
  }

  // Calls read(element) for each element with the element's index on the path.
  template <class Out, class F>
  Out each(const json::value& v, const char* what, F&& read) {
    const auto& a = array(v, (std::string("an array of parts of ") + what).c_str());
    if (a.empty()) fail(std::string(what) + " needs at least one part");
    Out out;
    for (size_t i = 0; i < a.size(); ++i) {
      path_.push_back(i);
      out.push_back(read(a[i]));
      path_.pop_back();
    }
    return out;
  }

  Point position(const json::value& v) {
    if (!v.is_array()) fail("expected a position [longitude, latitude]");
    const auto& a = v.get_array();
    if (a.size() < 2 || a.size() > 3) fail("a position must have 2 or 3 numbers");
    for (const auto& n : a)
      if (!n.is_number()) fail("a position must contain only numbers");
    double lon = a[0].to_number<double>(), lat = a[1].to_number<double>();
    if (!(lon >= -180 && lon <= 180))
      fail("longitude " + json::serialize(a[0]) + " is out of range [-180, 180]");
    if (!(lat >= -90 && lat <= 90))
      fail("latitude " + json::serialize(a[1]) + " is out of range [-90, 90]");
    return Point(lon, lat);
  }

  template <class Out>
  Out positions(const json::value& v, size_t minCount, const char* what) {
    const auto& a = array(v, "an array of positions");
    if (a.size() < minCount) {
      fail(std::string(what) + " needs at least " +
           (minCount == 1 ? std::string("one position") : std::to_string(minCount) + " positions"));
    }
    Out out;
    for (size_t i = 0; i < a.size(); ++i) {
      path_.push_back(i);
      out.push_back(position(a[i]));
      path_.pop_back();
    }
    return out;
  }

  Line line(const json::value& v) {
    Line l = positions<Line>(v, 2, "a LineString");
    bg::unique(l);
    if (l.size() < 2) fail("a LineString needs two distinct positions");
    return l;
  }

  Ring ring(const json::value& v) {
    Ring r = positions<Ring>(v, 4, "a linear ring");
    if (bg::get<0>(r.front()) != bg::get<0>(r.back()) ||
        bg::get<1>(r.front()) != bg::get<1>(r.back()))
      fail("a linear ring must be closed (its last position equal to its first)");
    bg::unique(r);
    if (r.size() < 4) fail("a linear ring needs at least three distinct positions");
    return r;
  }

  Polygon polygon(const json::value& v) {
    const auto& a = array(v, "a Polygon as an array of linear rings");
    if (a.empty()) fail("a Polygon needs at least one linear ring");
    Polygon p;
    for (size_t i = 0; i < a.size(); ++i) {
      path_.push_back(i);
      (i == 0 ? p.outer() : p.inners().emplace_back()) = ring(a[i]);
      path_.pop_back();
    }
    bg::correct(p);
    return p;
  }

  std::vector<size_t> path_;
};

// ---------------------------------------------------------------------------
// Extents

Extent extentOf(const Part& part) {
  SphereBox box;
  std::visit([&](const auto& g) { bg::envelope(g, box); }, part);
  Extent e{bg::get<bg::min_corner, 0>(box), bg::get<bg::min_corner, 1>(box),
           bg::get<bg::max_corner, 0>(box), bg::get<bg::max_corner, 1>(box)};
  if (e.east < e.west) e.east += 360;
  return e;
}

// The union of two extents; a superset when they lie on both sides of the antimeridian.
Extent merge(const Extent& a, const Extent& b) {
  return {std::min(a.west, b.west), std::min(a.south, b.south), std::max(a.east, b.east),
          std::max(a.north, b.north)};
}

GeoBox toBox(const Extent& e) {
  double west = e.west, east = e.east;
  if (east - west >= 360) return {-180, e.south, 180, e.north};
  while (west < -180) west += 360, east += 360;
  while (west >= 180) west -= 360, east -= 360;
  if (east > 180) east -= 360;  // crosses the antimeridian: west > east
  return {west, e.south, east, e.north};
}

// The extent of all points within `metres` of the extent (a superset).
Extent widen(const Extent& e, double metres) {
  double r = metres / kEarthRadius * (1 + 1e-9);  // angular radius, radians
  double rDeg = r * 180 / std::numbers::pi;
  Extent out{e.west, e.south - rDeg, e.east, e.north + rDeg};
  if (out.south <= -90 || out.north >= 90 || r >= std::numbers::pi / 2) {
    // The circle reaches a pole: every longitude is near.
    return {-180, std::max(out.south, -90.0), 180, std::min(out.north, 90.0)};
  }
  double lat = std::max(std::abs(e.south), std::abs(e.north)) * std::numbers::pi / 180;
  double s = std::sin(r) / std::cos(lat);
  if (s >= 1) return {-180, out.south, 180, out.north};
  double dLon = std::asin(s) * 180 / std::numbers::pi;
  out.west -= dLon;
  out.east += dLon;
  return out;
}

Extent slack(Extent e) {
  return {e.west - kBoxSlack, std::max(-90.0, e.south - kBoxSlack), e.east + kBoxSlack,
          std::min(90.0, e.north + kBoxSlack)};
}

// ---------------------------------------------------------------------------
// Converting whole geometries

void readGeometry(const json::value& v, Reader& reader, std::vector<Part>& parts, int depth) {
  if (!v.is_object()) throw Fault{"a geometry must be a JSON object"};
  const auto& obj = v.get_object();
  const auto* type = obj.if_contains("type");
  if (!type || !type->is_string()) throw Fault{"a geometry needs a \"type\""};
  if (type->get_string() == "GeometryCollection") {
    const auto* members = obj.if_contains("geometries");
    if (depth > 8 || !members || !members->is_array()) throw Fault{"unreadable GeometryCollection"};
    for (const auto& m : members->get_array()) readGeometry(m, reader, parts, depth + 1);
    return;
  }
  const auto* coordinates = obj.if_contains("coordinates");
  if (!coordinates) throw Fault{"a geometry needs \"coordinates\""};
  parts.push_back(reader.part(type->get_string(), *coordinates));
}

void computeExtent(GeoShape& shape) {
  shape.extent = extentOf(shape.parts.front());
  for (size_t i = 1; i < shape.parts.size(); ++i)
    shape.extent = merge(shape.extent, extentOf(shape.parts[i]));
}

// The shape of a GeoJSON geometry value (with its extent if asked), or
// nullopt if it cannot be read.
std::optional<GeoShape> readShape(const json::value& geometry, bool withExtent) {
  try {
    GeoShape shape;
    Reader reader;
    readGeometry(geometry, reader, shape.parts, 0);
    if (shape.parts.empty()) return std::nullopt;
    if (withExtent) computeExtent(shape);
    return shape;
  } catch (const Fault&) {
    return std::nullopt;
  } catch (const bg::exception&) {
    return std::nullopt;
  }
}

// ---------------------------------------------------------------------------
// Predicates

// Identical coordinates, structure by structure (exact; see "Self-intersecting" at the top).
bool same(const Point& a, const Point& b) {
  return bg::get<0>(a) == bg::get<0>(b) && bg::get<1>(a) == bg::get<1>(b);
}
bool same(const Polygon& a, const Polygon& b);
template <class R>
bool same(const R& a, const R& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const auto& x, const auto& y) { return same(x, y); });
}
bool same(const Polygon& a, const Polygon& b) {
  return same(a.outer(), b.outer()) && same(a.inners(), b.inners());
}
bool same(const Part& a, const Part& b) {
  if (a.index() != b.index()) return false;
  return std::visit([&](const auto& x) { return same(x, std::get<std::decay_t<decltype(x)>>(b)); },
                    a);
}

// DE-9IM masks of OGC Simple Features, entity first, query second.
const bg::de9im::mask kWithin("T*F**F***");
const bg::de9im::mask kContains("T*****FF*");
const bg::de9im::mask kEquals("T*F**FFF*");
const bg::de9im::mask kDisjoint("FF*FF****");
const bg::de9im::mask kOverlapsAreasPoints("T*T***T**");
const bg::de9im::mask kOverlapsLines("1*T***T**");

bool relateParts(const Part& a, const Part& b, const bg::de9im::mask& mask) {
  return std::visit([&](const auto& x, const auto& y) { return bg::relate(x, y, mask); }, a, b);
}

double partDistance(const Part& a, const Part& b) {
  const bg::strategies::distance::spherical<double> sphere(kEarthRadius);
  return std::visit([&](const auto& x, const auto& y) { return bg::distance(x, y, sphere); }, a, b);
}

// The georel (other than near) between one entity part and the query part.
bool relatePart(GeoRel rel, const Part& entity, const Part& query) {
  if (same(entity, query)) return rel != GeoRel::Disjoint && rel != GeoRel::Overlaps;
  switch (rel) {
    case GeoRel::Within:
      return relateParts(entity, query, kWithin);
    case GeoRel::Contains:
      return relateParts(entity, query, kContains);
    case GeoRel::Equals:
      return relateParts(entity, query, kEquals);
    case GeoRel::Disjoint:
      return relateParts(entity, query, kDisjoint);
    case GeoRel::Intersects:
      return !relateParts(entity, query, kDisjoint);
    case GeoRel::Overlaps:
      return entity.index() == query.index() &&
             relateParts(entity, query,
                         entity.index() == 1 ? kOverlapsLines : kOverlapsAreasPoints);
    case GeoRel::Near:
      break;
  }
  return false;
}

bool evaluate(const GeoQuery& q, const GeoShape& query, const GeoShape& entity) {
  const Part& qp = query.parts.front();
  const auto& parts = entity.parts;
  auto any = [&](GeoRel rel) {
    return std::any_of(parts.begin(), parts.end(),
                       [&](const Part& p) { return relatePart(rel, p, qp); });
  };
  auto all = [&](GeoRel rel) {
    return std::all_of(parts.begin(), parts.end(),
                       [&](const Part& p) { return relatePart(rel, p, qp); });
  };
  switch (q.rel) {
    case GeoRel::Near: {
      double d = std::numeric_limits<double>::infinity();
      for (const Part& p : parts) d = std::min(d, partDistance(qp, p));
      if (q.maxDistance) return d <= *q.maxDistance;
      return q.minDistance && d >= *q.minDistance;
    }
    case GeoRel::Intersects:
      return any(GeoRel::Intersects);
    case GeoRel::Contains:
      return any(GeoRel::Contains);
    case GeoRel::Within:
      return all(GeoRel::Within);
    case GeoRel::Disjoint:
      return all(GeoRel::Disjoint);
    case GeoRel::Equals:
    case GeoRel::Overlaps:
      return parts.size() == 1 && relatePart(q.rel, parts.front(), qp);
  }
  return false;
}

// ---------------------------------------------------------------------------
// Parsing

[[noreturn]] void badRequest(std::string detail) {
  ngsi::fail(ngsi::ErrorType::BadRequestData, std::move(detail));
}

// A PositiveNumber of clause 4.10: a JSON number without sign, finite, not 0.
std::optional<double> positiveNumber(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  size_t intDigits = digits();
  if (intDigits == 0 || (intDigits > 1 && s[0] == '0')) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return std::nullopt;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value) || value <= 0)
    return std::nullopt;
  return value;
}

constexpr const char* kGeorels =
    "near;maxDistance==<metres>, near;minDistance==<metres>, within, contains, intersects, "
    "equals, disjoint or overlaps";

void parseNear(std::string_view modifiers, GeoQuery& q) {
  if (modifiers.empty() || modifiers.find(';') != std::string_view::npos) {
    badRequest(
        "georel near needs exactly one distance: near;maxDistance==<metres> or "
        "near;minDistance==<metres>");
  }
  auto eq = modifiers.find("==");
  std::string_view name = modifiers.substr(0, eq);
  if (eq == std::string_view::npos || (name != "maxDistance" && name != "minDistance")) {
    badRequest("invalid georel modifier '" + std::string(modifiers) +
               "': expected maxDistance==<metres> or minDistance==<metres>");
  }
  std::string_view number = modifiers.substr(eq + 2);
  auto value = positiveNumber(number);
  if (!value) {
    badRequest("invalid distance '" + std::string(number) + "' in georel near: " +
               std::string(name) + " must be a positive, finite number of metres");
  }
  (name == "maxDistance" ? q.maxDistance : q.minDistance) = *value;
}

GeoRel parseRel(std::string_view georel, GeoQuery& q) {
  if (georel.empty()) badRequest("georel is missing; expected " + std::string(kGeorels));
  auto semi = georel.find(';');
  std::string_view name = georel.substr(0, semi);
  static const std::pair<std::string_view, GeoRel> kNames[] = {
      {"near", GeoRel::Near},         {"within", GeoRel::Within},
      {"contains", GeoRel::Contains}, {"intersects", GeoRel::Intersects},
      {"equals", GeoRel::Equals},     {"disjoint", GeoRel::Disjoint},
      {"overlaps", GeoRel::Overlaps}};
  const auto* found = std::find_if(std::begin(kNames), std::end(kNames),
                                   [&](const auto& n) { return n.first == name; });
  if (found == std::end(kNames))
    badRequest("unknown georel '" + std::string(georel) + "'; expected " + kGeorels);
  if (found->second == GeoRel::Near) {
    parseNear(semi == std::string_view::npos ? std::string_view() : georel.substr(semi + 1), q);
  } else if (semi != std::string_view::npos) {
    badRequest("georel " + std::string(name) + " takes no modifiers ('" + std::string(georel) +
               "')");
  }
  return found->second;
}

bool isQueryGeometry(std::string_view t) {
  return t == "Point" || t == "MultiPoint" || t == "LineString" || t == "MultiLineString" ||
         t == "Polygon" || t == "MultiPolygon";
}

}  // namespace

GeoQuery parseGeoQuery(std::string_view georel, std::string_view geometry,
                       const json::value& coordinates, std::string geoproperty) {
  GeoQuery q;
  q.rel = parseRel(georel, q);
  if (geometry.empty())
    badRequest("geometry is missing: a geo-query needs georel, geometry and coordinates");
  if (!isQueryGeometry(geometry)) {
    badRequest(
        "unknown geometry '" + std::string(geometry) +
        "'; expected Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon");
  }
  json::value coords = coordinates;
  if (coords.is_null())
    badRequest("coordinates are missing: a geo-query needs georel, geometry and coordinates");
  if (coords.is_string()) {
    boost::system::error_code ec;
    coords = json::parse(coords.get_string(), ec);
    if (ec) badRequest("coordinates are not valid JSON: " + ec.message());
  }
  auto shape = std::make_shared<GeoShape>();
  try {
    Reader reader;
    shape->parts.push_back(reader.part(geometry, coords));
    computeExtent(*shape);
  } catch (const Fault& f) {
    badRequest("invalid " + std::string(geometry) + " " + f.detail);
  } catch (const bg::exception& e) {
    badRequest("invalid " + std::string(geometry) + ": " + e.what());
  }
  q.geometry = json::object{{"type", geometry}, {"coordinates", std::move(coords)}};
  q.geoproperty = geoproperty.empty() ? kDefaultGeoProperty : std::move(geoproperty);
  q.shape = std::move(shape);
  return q;
}

bool geoMatches(const GeoQuery& query, const json::value& entityGeometry) {
  std::optional<GeoShape> converted;
  const GeoShape* queryShape = query.shape.get();
  if (!queryShape) {
    converted = readShape(query.geometry, false);
    if (!converted) return false;
    queryShape = &*converted;
  }
  auto entity = readShape(entityGeometry, false);
  if (!entity) return false;
  try {
    return evaluate(query, *queryShape, *entity);
  } catch (const bg::exception&) {
    return false;
  }
}

std::function<bool(const GeoBox&)> boxFilter(const GeoQuery& query) {
  if (query.rel != GeoRel::Near || !query.maxDistance) return {};
  const auto& c = query.geometry.at("coordinates");
  if (query.geometry.at("type").as_string() != "Point") return {};
  double lon = c.at(0).to_number<double>(), lat = c.at(1).to_number<double>();
  double max = *query.maxDistance * (1 + 1e-9) + 1e-3;  // never reject a match on rounding
  constexpr double rad = std::numbers::pi / 180;
  double cosLat = std::cos(lat * rad);
  // For short distances away from the poles a flat-earth estimate (with the
  // query point's cos(latitude)) is within 0.2 % of the great-circle distance:
  // it decides points clearly inside or outside; the rest get haversine.
  bool estimate = std::abs(std::tan(lat * rad)) * max / kEarthRadius < 0.002 && max / kEarthRadius < 0.01;
  return [lon, lat, max, cosLat, estimate](const GeoBox& b) {
    if (b.minLon != b.maxLon || b.minLat != b.maxLat) return true;  // not a point: decide exactly later
    double dLat = (b.minLat - lat) * rad, dLon = (b.minLon - lon) * rad;
    if (estimate && std::abs(dLon) < 1) {
      double flat = kEarthRadius * std::sqrt(dLat * dLat + dLon * cosLat * dLon * cosLat);
      if (flat < max * 0.99) return true;
      if (flat > max * 1.01) return false;
    }
    double h = std::sin(dLat / 2) * std::sin(dLat / 2) +
               cosLat * std::cos(b.minLat * rad) * std::sin(dLon / 2) * std::sin(dLon / 2);
    return 2 * kEarthRadius * std::asin(std::min(1.0, std::sqrt(h))) <= max;
  };
}

std::optional<double> distanceMeters(const json::value& geometry, double lon, double lat) {
  auto shape = readShape(geometry, false);
  if (!shape) return std::nullopt;
  const Part from = MultiPoint{Point(lon, lat)};
  double d = std::numeric_limits<double>::infinity();
  try {
    for (const Part& p : shape->parts) d = std::min(d, partDistance(from, p));
  } catch (const bg::exception&) {
    return std::nullopt;
  }
  return d;
}

std::optional<GeoBox> boundingBox(const json::value& geometry) {
  auto shape = readShape(geometry, true);
  if (!shape) return std::nullopt;
  return toBox(shape->extent);
}

std::optional<GeoBox> candidateBox(const GeoQuery& query) {
  if (query.rel == GeoRel::Disjoint) return std::nullopt;
  if (query.rel == GeoRel::Near && !query.maxDistance) return std::nullopt;
  Extent extent;
  if (query.shape) {
    extent = query.shape->extent;
  } else {
    auto shape = readShape(query.geometry, true);
    if (!shape) return std::nullopt;
    extent = shape->extent;
  }
  if (query.rel == GeoRel::Near) extent = widen(extent, *query.maxDistance);
  return toBox(slack(extent));
}

// ---------------------------------------------------------------------------
// GeoIndex: an R*-tree of cartesian lon/lat boxes; a box that crosses the
// antimeridian is held as its two halves.

namespace {
using PlanePoint = bg::model::point<double, 2, bg::cs::cartesian>;
using PlaneBox = bg::model::box<PlanePoint>;
using IndexValue = std::pair<PlaneBox, uint64_t>;

template <class F>
void forEachHalf(const GeoBox& b, F&& f) {
  if (b.minLon <= b.maxLon) {
    f(PlaneBox({b.minLon, b.minLat}, {b.maxLon, b.maxLat}));
  } else {
    f(PlaneBox({b.minLon, b.minLat}, {180, b.maxLat}));
    f(PlaneBox({-180, b.minLat}, {b.maxLon, b.maxLat}));
  }
}
}  // namespace

// Entities with the same box (many sensors at one site) share one R-tree entry:
// an R-tree holding thousands of identical boxes degrades to linear removal.
// An entry holds the key itself while its box has one key (no indirection on
// the query path), and the address of the box's Group, tagged with the top bit,
// once a second key joins.
struct GeoIndex::Impl {
  static constexpr uint64_t kGroupTag = uint64_t{1} << 63;
  struct Group {
    std::vector<uint64_t> keys;
    bool tagged = false;  // the tree entry refers to this group, not to keys[0]
  };
  using BoxKey = std::array<double, 4>;
  struct BoxHash {
    size_t operator()(const BoxKey& b) const {
      size_t h = 0;
      for (double d : b) h = h * 1000003u ^ std::hash<double>{}(d);
      return h;
    }
  };
  bg::index::rtree<IndexValue, bg::index::rstar<16>> tree;
  std::unordered_map<BoxKey, Group, BoxHash> groups;  // by box; nodes do not move, so addresses are stable
  size_t pairs = 0;

  static BoxKey boxKey(const GeoBox& b) { return {b.minLon, b.minLat, b.maxLon, b.maxLat}; }
  static uint64_t entryOf(const Group& g) {
    return g.tagged ? reinterpret_cast<uint64_t>(&g) | kGroupTag : g.keys[0];
  }
  // Adds key to its box's group; returns the group when the box is new. With
  // `inTree` false (a bulk load builds the tree afterwards) the tree is left alone.
  Group* join(uint64_t key, const GeoBox& box, bool inTree) {
    assert(!(key & kGroupTag));
    auto emplaced = groups.try_emplace(boxKey(box));
    Group& group = emplaced.first->second;
    group.keys.push_back(key);
    ++pairs;
    if (emplaced.second) return &group;
    if (!group.tagged) {  // a second key: the entry now refers to the group
      if (inTree)
        forEachHalf(box, [&](const PlaneBox& b) { tree.remove(IndexValue{b, group.keys[0]}); });
      group.tagged = true;
      if (inTree) forEachHalf(box, [&](const PlaneBox& b) { tree.insert({b, entryOf(group)}); });
    }
    return nullptr;
  }
};

GeoIndex::GeoIndex() : impl_(std::make_unique<Impl>()) {}
GeoIndex::~GeoIndex() = default;
GeoIndex::GeoIndex(GeoIndex&&) noexcept = default;
GeoIndex& GeoIndex::operator=(GeoIndex&&) noexcept = default;

void GeoIndex::insert(uint64_t key, const GeoBox& box) {
  if (auto* fresh = impl_->join(key, box, true))
    forEachHalf(box, [&](const PlaneBox& b) { impl_->tree.insert({b, Impl::entryOf(*fresh)}); });
}

void GeoIndex::bulkLoad(const std::vector<std::pair<uint64_t, GeoBox>>& pairs) {
  for (const auto& [key, box] : pairs) impl_->join(key, box, false);
  std::vector<IndexValue> values;
  for (const auto& entry : impl_->groups) {
    const auto& boxKey = entry.first;
    GeoBox box{boxKey[0], boxKey[1], boxKey[2], boxKey[3]};
    forEachHalf(box,
                [&](const PlaneBox& b) { values.emplace_back(b, Impl::entryOf(entry.second)); });
  }
  impl_->tree = decltype(impl_->tree)(values.begin(), values.end());  // packing: far faster than inserts
}

void GeoIndex::remove(uint64_t key, const GeoBox& box) {
  auto it = impl_->groups.find(Impl::boxKey(box));
  if (it == impl_->groups.end()) return;
  auto& keys = it->second.keys;
  auto k = std::find(keys.begin(), keys.end(), key);
  if (k == keys.end()) return;
  uint64_t entry = Impl::entryOf(it->second);
  *k = keys.back();
  keys.pop_back();
  --impl_->pairs;
  if (!keys.empty()) return;  // a group stays a group until its last key goes
  forEachHalf(box, [&](const PlaneBox& b) { impl_->tree.remove(IndexValue{b, entry}); });
  impl_->groups.erase(it);
}

bool GeoIndex::forEachIntersecting(const GeoBox& box, const std::function<bool(const GeoBox&)>& keep,
                                   const std::function<bool(uint64_t)>& visit) const {
  bool more = true;
  forEachHalf(box, [&](const PlaneBox& b) {
    for (auto it = impl_->tree.qbegin(bg::index::intersects(b)); more && it != impl_->tree.qend(); ++it) {
      const IndexValue& v = *it;
      if (keep) {
        const auto& lo = v.first.min_corner();
        const auto& hi = v.first.max_corner();
        if (!keep(GeoBox{bg::get<0>(lo), bg::get<1>(lo), bg::get<0>(hi), bg::get<1>(hi)})) continue;
      }
      if (!(v.second & Impl::kGroupTag)) {
        more = visit(v.second);
        continue;
      }
      for (auto key : reinterpret_cast<const Impl::Group*>(v.second & ~Impl::kGroupTag)->keys)
        if (!(more = visit(key))) break;
    }
  });
  return more;
}

size_t GeoIndex::size() const {
  return impl_->pairs;
}

}  // namespace allmende::query
