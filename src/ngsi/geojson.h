// Validation of GeoJSON geometries (RFC 7946) as GeoProperty values:
// known geometry type, coordinate nesting, longitude/latitude ranges, closed
// linear rings with at least four positions.
#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace allmende::ngsi {

// True if v is an object whose "type" names a GeoJSON geometry.
bool looksLikeGeometry(const boost::json::value& v);
// Empty if v is a valid geometry, else why not.
std::string geometryError(const boost::json::value& v);

}  // namespace allmende::ngsi
