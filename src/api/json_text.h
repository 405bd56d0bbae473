// JSON text for responses. Boost.JSON's serializer writes doubles in
// scientific notation ("2.15E1"); users and their tools expect the shortest
// plain form ("21.5"), which std::to_chars gives.
#pragma once

#include <optional>
#include <string>

#include <boost/json/value.hpp>

namespace allmende::api {

std::string toJsonText(const boost::json::value& value);
// The text, or nullopt if it is longer than maxBytes: writing stops as soon as
// it is, so no more than maxBytes plus one string is ever built.
std::optional<std::string> toJsonText(const boost::json::value& value, size_t maxBytes);
// Appends the text to `out`; false as soon as `out` is longer than maxBytes
// (it then stops, leaving the text unfinished).
bool appendJsonText(std::string& out, const boost::json::value& value, size_t maxBytes);

}  // namespace allmende::api
