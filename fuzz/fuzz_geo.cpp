// Fuzz target for geo-queries (clause 4.10) and GeoJSON validation: the input
// is four lines, georel / geometry / coordinates (JSON) / an entity geometry
// (GeoJSON, the rest of the input). The geo-query is parsed as the API does;
// the entity geometry is validated as a GeoProperty value, and only a valid
// one goes on, as in the broker, to the evaluation of the query, its box,
// distance (orderBy) and the R-tree the store keeps.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/json.hpp>

#include "ngsi/error.h"
#include "ngsi/geojson.h"
#include "query/geo.h"

namespace {

namespace json = boost::json;
using namespace allmende;

// The next line of rest (without its '\n'); rest keeps what follows it.
std::string_view line(std::string_view& rest) {
  auto nl = rest.find('\n');
  auto l = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return l;
}

std::optional<query::GeoQuery> parseQuery(std::string_view georel, std::string_view geometry,
                                          std::string_view coordinates) {
  json::error_code ec;
  auto coords = json::parse(coordinates, ec);
  if (ec) return std::nullopt;  // the API rejects it before parsing the geo-query
  try {
    return query::parseGeoQuery(georel, geometry, coords, "");
  } catch (const ngsi::Error&) {
    return std::nullopt;
  }
}

void evaluate(const std::optional<query::GeoQuery>& q, const json::value& geometry) {
  auto box = query::boundingBox(geometry);
  query::distanceMeters(geometry, 13.4, 52.5);
  if (!q) return;
  query::geoMatches(*q, geometry);
  auto candidates = query::candidateBox(*q);
  if (!box) return;
  query::GeoIndex index;
  index.insert(1, *box);
  if (candidates) index.forEachIntersecting(*candidates, query::boxFilter(*q), [](uint64_t) { return true; });
  index.remove(1, *box);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  auto georel = line(rest);
  auto geometry = line(rest);
  auto coordinates = line(rest);
  auto q = parseQuery(georel, geometry, coordinates);
  if (q && ngsi::geometryError(q->geometry).empty()) evaluate(q, q->geometry);

  json::error_code ec;
  auto entityGeometry = json::parse(rest, ec);
  if (ec) return 0;
  ngsi::looksLikeGeometry(entityGeometry);
  if (ngsi::geometryError(entityGeometry).empty()) evaluate(q, entityGeometry);
  return 0;
}
