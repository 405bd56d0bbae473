// Geo-queries (clause 4.10): parsing geoQ parameters (georel, geometry,
// coordinates, geoproperty) and evaluating a georel between an entity's
// GeoProperty value (GeoJSON) and the query geometry on the WGS84 sphere, with
// distances in metres. Also the R-tree index the embedded store keeps per
// tenant and GeoProperty to find candidates without scanning every entity.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace allmende::query {

enum class GeoRel { Near, Within, Contains, Intersects, Equals, Disjoint, Overlaps };

// The query geometry converted once for evaluation (defined in geo.cpp).
struct GeoShape;

// A parsed geo-query. Immutable after parseGeoQuery; may be shared between threads.
struct GeoQuery {
  GeoRel rel = GeoRel::Intersects;
  std::optional<double> maxDistance;  // metres, with Near
  std::optional<double> minDistance;  // metres, with Near
  boost::json::value geometry;        // the query geometry as GeoJSON {"type", "coordinates"}
  std::string geoproperty;            // expanded IRI of the GeoProperty (default location)
  // Set by parseGeoQuery so that geoMatches does not convert `geometry` per
  // candidate; shared, so copies stay cheap. When null (a GeoQuery built by
  // hand), geoMatches and candidateBox convert `geometry` on each call.
  std::shared_ptr<const GeoShape> shape;
};

// Builds a GeoQuery from the request parameters (georel, geometry, coordinates
// as the JSON value of the parameter or POST query body; a JSON string holding
// the coordinates' JSON text is parsed too). An empty geoproperty means
// location. Throws ngsi::Error BadRequestData naming the fault: missing or
// unknown georel, near without exactly one positive distance, an unknown
// geometry type, malformed or out-of-range coordinates.
GeoQuery parseGeoQuery(std::string_view georel, std::string_view geometry,
                       const boost::json::value& coordinates, std::string geoproperty);

// True if the entity geometry (a valid GeoJSON geometry) satisfies the query.
// A value that is not a readable geometry never matches, whatever the georel.
bool geoMatches(const GeoQuery& query, const boost::json::value& entityGeometry);

// The shortest distance in metres from the point (lon, lat) to a geometry, or
// nullopt if the geometry cannot be read (orderBy dist-asc/dist-desc).
std::optional<double> distanceMeters(const boost::json::value& geometry, double lon, double lat);

// A bounding box in degrees; a query's candidate box (for near: the circle's box).
// As in RFC 7946 (5.2), minLon > maxLon means the box crosses the antimeridian
// (it spans minLon..180 and -180..maxLon); a box around a pole spans all longitudes.
struct GeoBox {
  double minLon, minLat, maxLon, maxLat;
};
// The box of a GeoJSON geometry (edges as great-circle arcs, so a long east-west
// edge widens it poleward); nullopt if the value is not a readable geometry.
std::optional<GeoBox> boundingBox(const boost::json::value& geometry);
// A cheap test on an indexed box that rejects geometries which cannot match
// (near;maxDistance: a point farther than the distance); empty if none applies.
std::function<bool(const GeoBox&)> boxFilter(const GeoQuery& query);

// The box entity geometries must intersect to possibly match (nullopt: any may
// match, e.g. disjoint or near;minDistance).
std::optional<GeoBox> candidateBox(const GeoQuery& query);

// An R-tree over entity geometries' boxes, keyed by a number the caller assigns.
// A key may be inserted with several boxes (one per attribute instance); each
// (key, box) pair is removed by a remove with the same key and box.
// Not thread-safe: the caller locks.
class GeoIndex {
 public:
  GeoIndex();
  ~GeoIndex();
  GeoIndex(GeoIndex&&) noexcept;
  GeoIndex& operator=(GeoIndex&&) noexcept;
  // Keys are below 2^63 (the top bit tags internal entries); in the store, addresses.
  void insert(uint64_t key, const GeoBox& box);
  // Builds the index from many pairs at once (packed R-tree); only on an empty index.
  void bulkLoad(const std::vector<std::pair<uint64_t, GeoBox>>& pairs);
  // Removes the pair if present; otherwise does nothing.
  void remove(uint64_t key, const GeoBox& box);
  // Calls visit for each key whose box intersects `box` (edges included),
  // once per such box (a key with several boxes, or a box across the
  // antimeridian, may come more than once), as the tree finds them (an order
  // that stays the same while the index does not change), until visit returns
  // false; returns whether it never did. With `keep`, only keys whose stored
  // box it accepts.
  bool forEachIntersecting(const GeoBox& box, const std::function<bool(const GeoBox&)>& keep,
                           const std::function<bool(uint64_t)>& visit) const;
  // The number of (key, box) pairs held.
  size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace allmende::query
