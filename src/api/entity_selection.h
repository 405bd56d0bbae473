// Which entities a request selects: ids, idPattern, type selection, attrs, q,
// scopeQ and geoQ, from query parameters (GET /entities, DELETE /entities) or
// from a Query body (POST /entityOperations/query). The result is a
// store::EntityQuery: index selectors plus an exact predicate over the stored
// entity (expired entities never match).
#pragma once

#include <boost/json.hpp>

#include "api/call.h"
#include "query/value_filters.h"
#include "store/entity_query.h"

namespace allmende::api {

struct Selection {
  store::EntityQuery query;
  bool restricted = false;  // a type (or "*"), attrs, q or geo-query was given (clause 5.7.2.4)
};

// From the parameters id, idPattern, type ("*" = every type), attrs, q, scopeQ,
// georel, geometry, coordinates, geoproperty. Throws BadRequestData naming a
// malformed parameter.
Selection selectionFromParams(Call& call);

// From a Query body {"type":"Query","entities":[...],"attrs":[...],"q":...,"geoQ":{...},"scopeQ":...}.
Selection selectionFromQueryBody(Call& call, const boost::json::object& body);

// The value filters alone (the temporal API tests them on the history): from the
// parameters q, scopeQ, georel, geometry, coordinates, geoproperty (csf is only
// checked), or from a Query body's q, scopeQ, geoQ, csf. q terms on linked
// entities need join (5.7.2.4). Throws BadRequestData naming a malformed one.
query::ValueFilters valueFiltersFromParams(Call& call);
query::ValueFilters valueFiltersFromQueryBody(Call& call, const boost::json::object& body);

}  // namespace allmende::api
