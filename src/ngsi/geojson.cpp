// Recursive structural checks of GeoJSON geometries by type.
#include "ngsi/geojson.h"

#include <boost/json.hpp>

namespace allmende::ngsi {

namespace json = boost::json;

namespace {

bool isGeometryType(std::string_view t) {
  return t == "Point" || t == "MultiPoint" || t == "LineString" || t == "MultiLineString" ||
         t == "Polygon" || t == "MultiPolygon" || t == "GeometryCollection";
}

std::string positionError(const json::value& p) {
  if (!p.is_array() || p.get_array().size() < 2 || p.get_array().size() > 3)
    return "a position must be an array of 2 or 3 numbers";
  const auto& a = p.get_array();
  for (const auto& n : a)
    if (!n.is_number()) return "a position must contain only numbers";
  double lon = a[0].to_number<double>(), lat = a[1].to_number<double>();
  if (lon < -180 || lon > 180) return "longitude " + std::to_string(lon) + " is out of range [-180, 180]";
  if (lat < -90 || lat > 90) return "latitude " + std::to_string(lat) + " is out of range [-90, 90]";
  return {};
}

std::string positionsError(const json::value& v, size_t minCount, bool ring) {
  if (!v.is_array()) return "coordinates must be an array of positions";
  const auto& a = v.get_array();
  if (a.size() < minCount)
    return "at least " + std::to_string(minCount) + " positions are required";
  for (const auto& p : a)
    if (auto e = positionError(p); !e.empty()) return e;
  if (ring && a.front() != a.back()) return "a linear ring must be closed (first position equals last)";
  return {};
}

std::string polygonError(const json::value& v) {
  if (!v.is_array() || v.get_array().empty()) return "polygon coordinates must be a non-empty array of rings";
  for (const auto& ring : v.get_array())
    if (auto e = positionsError(ring, 4, true); !e.empty()) return e;
  return {};
}

template <class F>
std::string eachError(const json::value& v, F&& check) {
  if (!v.is_array()) return "coordinates must be an array";
  for (const auto& part : v.get_array())
    if (auto e = check(part); !e.empty()) return e;
  return {};
}

}  // namespace

bool looksLikeGeometry(const json::value& v) {
  if (!v.is_object()) return false;
  auto* t = v.get_object().if_contains("type");
  return t && t->is_string() && isGeometryType(t->get_string());
}

std::string geometryError(const json::value& v) {
  if (!v.is_object()) return "a GeoJSON geometry must be a JSON object";
  const auto& obj = v.get_object();
  auto* t = obj.if_contains("type");
  if (!t || !t->is_string() || !isGeometryType(t->get_string()))
    return "unknown GeoJSON geometry type";
  std::string_view type = t->get_string();
  if (type == "GeometryCollection") {
    auto* g = obj.if_contains("geometries");
    if (!g || !g->is_array()) return "a GeometryCollection needs a \"geometries\" array";
    return eachError(*g, [](const json::value& part) { return geometryError(part); });
  }
  auto* c = obj.if_contains("coordinates");
  if (!c) return "a GeoJSON " + std::string(type) + " needs \"coordinates\"";
  if (type == "Point") return positionError(*c);
  if (type == "MultiPoint") return positionsError(*c, 1, false);
  if (type == "LineString") return positionsError(*c, 2, false);
  if (type == "MultiLineString")
    return eachError(*c, [](const json::value& l) { return positionsError(l, 2, false); });
  if (type == "Polygon") return polygonError(*c);
  return eachError(*c, [](const json::value& p) { return polygonError(p); });
}

}  // namespace allmende::ngsi
