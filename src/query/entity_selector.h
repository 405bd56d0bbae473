// Entity selectors and geo-queries in their JSON form, shared by the Query
// body of POST /entityOperations/query and by subscriptions: parsing (with the
// spec's BadRequestData errors) and matching against a stored entity.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "query/geo.h"
#include "query/type_expr.h"

namespace re2 {
class RE2;
}

namespace allmende::jsonld {
class Context;
}

namespace allmende::query {

// One EntitySelector: ids, idPattern and a type selection (any may be absent).
struct EntitySelector {
  std::vector<std::string> ids;
  std::shared_ptr<re2::RE2> idPattern;
  std::optional<TypeSelection> types;
};

// Compiles an idPattern with RE2; throws BadRequestData if RE2 rejects it.
std::shared_ptr<re2::RE2> compileIdPattern(std::string_view pattern);

// Throws BadRequestData unless every id is a URI.
const std::vector<std::string>& checkedIds(const std::vector<std::string>& ids);

// A non-empty array of {"id": URI or [URI], "idPattern": ..., "type": ...}.
// requireType: each selector must name a type (subscriptions).
std::vector<EntitySelector> parseEntitySelectors(const boost::json::value& entities,
                                                 const jsonld::Context& ctx, bool requireType);

// A geoQ object {"georel", "geometry", "coordinates" (array or its JSON text), "geoproperty"}.
GeoQuery parseGeoQ(const boost::json::value& geoQ, const jsonld::Context& ctx);

// A geo-query from its parts; geoproperty defaults to location.
GeoQuery geoQueryFrom(const jsonld::Context& ctx, std::string_view georel,
                      std::optional<std::string_view> geometry, const boost::json::value& coordinates,
                      std::optional<std::string_view> geoproperty);

bool matches(const EntitySelector& s, const boost::json::object& entity);

// True if an unexpired instance of the query's GeoProperty satisfies it.
bool geoMatchesEntity(const GeoQuery& geo, const boost::json::object& entity, int64_t nowMs);

}  // namespace allmende::query
