// Which registrations a discovery query selects (clause 5.10.2, GET
// /csourceRegistrations): a registration matches when one of its
// RegistrationInfos may provide the entities and attributes asked for (ids,
// idPattern, type selection, attrs), and the registration itself satisfies q
// and csf (over its members and Context Source Properties), scopeQ (its
// scope), the geo-query (its location, observationSpace or operationSpace) and
// the temporal query (observedAt: its observationInterval; createdAt or
// modifiedAt: its managementInterval).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "federation/registration.h"
#include "query/geo.h"
#include "query/q.h"
#include "query/temporal_q.h"
#include "query/type_expr.h"

namespace re2 {
class RE2;
}

namespace allmende::federation {

struct RegistrationQuery {
  std::vector<std::string> ids;
  std::optional<std::string> idPattern;
  std::shared_ptr<re2::RE2> idPatternRegex;
  std::optional<query::TypeSelection> types;
  std::vector<std::string> attrs;  // expanded
  query::ExprPtr q;                // q and csf alike
  query::ExprPtr csf;
  query::ExprPtr scopeQ;
  std::optional<query::GeoQuery> geo;
  std::optional<query::TemporalQ> temporal;
};

bool matches(const RegistrationQuery& query, const Registration& r, int64_t nowMs);

// Whether an entity with that id may be one the RegistrationInfo names (by id
// or idPattern; an EntityInfo without either, or no EntityInfo, names any).
bool mayHoldId(const RegistrationInfo& info, std::string_view id);

// The parts of matches(): the indexes of r's RegistrationInfos that match the
// entities and attributes asked for, and whether the registration satisfies
// q, csf, scopeQ, the geo-query and the temporal query.
std::vector<size_t> matchingInformation(const RegistrationQuery& query, const Registration& r);
bool matchesFilters(const RegistrationQuery& query, const Registration& r, int64_t nowMs);

// Whether a registration's source may hold data of the temporal query's time
// range: it names no interval for the time property (observationInterval for
// observedAt, managementInterval for createdAt and modifiedAt), or that
// interval overlaps the range (for distributed temporal reads).
bool mayHoldTime(const query::TemporalQ& t, const Registration& r);

// Whether a registration's source may hold entities a geo-query selects: it
// names no area (location, else operationSpace, else observationSpace), or
// its area may hold them (near: within the distance; any other relation but
// disjoint: intersecting the query's geometry) (for distributed queries).
bool mayHoldPlace(const query::GeoQuery& g, const Registration& r);

// The registration as an entity of type ContextSourceRegistration whose
// attributes are its members (a member holding {"type": "Property", "value": v}
// is the Property itself), for q, csf, scopeQ and geo-queries.
boost::json::object registrationAsEntity(const Registration& r);

}  // namespace allmende::federation
