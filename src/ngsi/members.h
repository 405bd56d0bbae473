// Checks shared by the broker's own documents (subscriptions, context source
// registrations, registration subscriptions): members that hold names, times
// or key-value pairs, each failing with BadRequestData that names the member.
#pragma once

#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

#include "jsonld/context.h"

namespace allmende::ngsi {

// A non-empty array of strings.
const boost::json::array& nonEmptyStrings(const boost::json::value& v, std::string_view member);

// A non-empty array of attribute names, expanded with ctx; and back.
boost::json::array expandedNames(const boost::json::value& v, std::string_view member,
                                 const jsonld::Context& ctx);
boost::json::array compactedNames(const boost::json::array& names, const jsonld::Context& ctx);

// A DateTime after nowMs (e.g. expiresAt); returns its epoch ms.
int64_t futureDateTime(const boost::json::value& v, std::string_view member, int64_t nowMs);

// An array of {"key": string, "value": string} (clause 5.2.22 KeyValuePair).
const boost::json::array& keyValuePairs(const boost::json::value& v, std::string_view member);

}  // namespace allmende::ngsi
