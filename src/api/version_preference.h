// The Prefer header's ngsi-ld=<major.minor> (clause 4.3.6.8, RFC 7240): a
// consumer that can only read an earlier NGSI-LD version. Entity data is
// amended for it (203 when something changed); every answer that honours the
// preference says so in Preference-Applied.
#pragma once

#include <optional>
#include <string>

#include "api/call.h"
#include "ngsi/render.h"

namespace allmende::api {

struct VersionPreference {
  std::string text;  // "1.5"
  int major = 1;
  int minor = 9;
};

// The preferred version, if the Prefer header names one this broker can serve (1.0 to 1.9).
std::optional<VersionPreference> versionPreference(const http::Request& req);

// What a body holds, for amending it.
enum class Payload { Other, Entities, SimplifiedEntities };

// The Payload of rendered entities in that format.
inline Payload entityPayload(const ngsi::RenderOptions& options) {
  return options.format == ngsi::Format::Simplified ? Payload::SimplifiedEntities : Payload::Entities;
}

// Call::respond, honouring a version preference.
http::Response respondForVersion(Call& call, int status, json::value body, MediaType media, Payload payload);

}  // namespace allmende::api
