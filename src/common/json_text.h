// JSON text for responses. Boost.JSON's serializer writes doubles in
// scientific notation ("2.15E1"); users and their tools expect the shortest
// plain form ("21.5"), which std::to_chars gives. Besides whole values, the
// pieces a writer needs that makes text without building a value first
// (ngsi/render.h): strings, and a member added to an object just written.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace allmende {

std::string toJsonText(const boost::json::value& value);
// The text, or nullopt if it is longer than maxBytes: writing stops as soon as
// it is, so no more than maxBytes plus one string is ever built.
std::optional<std::string> toJsonText(const boost::json::value& value, size_t maxBytes);
// Appends the text to `out`; false as soon as `out` is longer than maxBytes
// (it then stops, leaving the text unfinished).
bool appendJsonText(std::string& out, const boost::json::value& value, size_t maxBytes);
void appendJsonText(std::string& out, const boost::json::value& value);
// Appends s as a JSON string (quoted and escaped).
void appendJsonString(std::string& out, std::string_view s);
// `out` ends with an object's text: adds "key": value as its last member.
void appendMemberToObject(std::string& out, std::string_view key, const boost::json::value& value);

}  // namespace allmende
