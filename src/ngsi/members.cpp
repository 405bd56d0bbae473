// Member checks of the broker's own documents.
#include "ngsi/members.h"

#include <string>

#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::ngsi {

namespace json = boost::json;

namespace {

[[noreturn]] void bad(const std::string& detail) {
  fail(ErrorType::BadRequestData, detail);
}

}  // namespace

const json::array& nonEmptyStrings(const json::value& v, std::string_view member) {
  if (!v.is_array() || v.get_array().empty())
    bad(std::string(member) + " must be a non-empty array");
  for (const auto& e : v.get_array())
    if (!e.is_string()) bad(std::string(member) + " must contain strings only");
  return v.get_array();
}

json::array expandedNames(const json::value& v, std::string_view member,
                          const jsonld::Context& ctx) {
  json::array out;
  for (const auto& e : nonEmptyStrings(v, member)) {
    if (!isValidName(e.get_string()))
      bad("'" + std::string(e.get_string()) + "' in " + std::string(member) +
          " is not a valid attribute name");
    out.emplace_back(ctx.expand(e.get_string()));
  }
  return out;
}

json::array compactedNames(const json::array& names, const jsonld::Context& ctx) {
  json::array out;
  for (const auto& n : names) out.emplace_back(ctx.compact(n.get_string()));
  return out;
}

int64_t futureDateTime(const json::value& v, std::string_view member, int64_t nowMs) {
  auto at = v.is_string() ? parseDateTime(v.get_string()) : std::nullopt;
  if (!at) bad(std::string(member) + " must be a DateTime (e.g. 2030-01-01T00:00:00Z)");
  if (*at <= nowMs) bad(std::string(member) + " lies in the past");
  return *at;
}

const json::array& keyValuePairs(const json::value& v, std::string_view member) {
  if (!v.is_array()) bad(std::string(member) + " must be an array of {\"key\", \"value\"} pairs");
  for (const auto& p : v.get_array()) {
    const auto* o = p.if_object();
    if (!o || o->size() != 2 || !o->contains("key") || !o->contains("value") ||
        !o->at("key").is_string() || !o->at("value").is_string())
      bad(std::string(member) + " must be an array of {\"key\": string, \"value\": string} pairs");
  }
  return v.get_array();
}

}  // namespace allmende::ngsi
