// JSON text for responses. Boost.JSON's serializer writes doubles in
// scientific notation ("2.15E1"); users and their tools expect the shortest
// plain form ("21.5"), which std::to_chars gives.
#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace allmende::api {

std::string toJsonText(const boost::json::value& value);

}  // namespace allmende::api
