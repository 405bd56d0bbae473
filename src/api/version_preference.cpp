// Parsing Prefer: ngsi-ld=<version> and answering with Preference-Applied.
#include "api/version_preference.h"

#include <cctype>

#include "ngsi/version_fallback.h"

namespace allmende::api {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

}  // namespace

std::optional<VersionPreference> versionPreference(const http::Request& req) {
  auto header = req.header("prefer");
  if (!header) return std::nullopt;
  std::string_view rest = *header;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto pref = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    pref = trim(pref.substr(0, pref.find(';')));  // parameters (;q=...) do not matter here
    auto eq = pref.find('=');
    if (eq == std::string_view::npos || !iequals(trim(pref.substr(0, eq)), "ngsi-ld")) continue;
    auto value = trim(pref.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (value.size() != 3 || !std::isdigit(static_cast<unsigned char>(value[0])) || value[1] != '.' ||
        !std::isdigit(static_cast<unsigned char>(value[2])))
      return std::nullopt;
    VersionPreference v{std::string(value), value[0] - '0', value[2] - '0'};
    if (v.major != 1) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

http::Response respondForVersion(Call& call, int status, json::value body, MediaType media, Payload payload) {
  auto preference = versionPreference(call.req);
  bool amended = preference && payload != Payload::Other &&
                 ngsi::amendForVersion(body, preference->major, preference->minor,
                                       payload == Payload::SimplifiedEntities);
  auto res = call.respond(amended && status == 200 ? 203 : status, std::move(body), media);
  if (preference) res.setHeader("Preference-Applied", "ngsi-ld=" + preference->text);
  return res;
}

}  // namespace allmende::api
