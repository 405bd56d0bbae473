// Bearer tokens on API requests: the header, the token, the challenge.
#include "auth/authenticator.h"

#include <strings.h>

#include "ngsi/datetime.h"

namespace allmende::auth {

namespace {

// A text safe inside a quoted WWW-Authenticate parameter (RFC 6750 3: printable
// ASCII but '"' and '\'); anything else becomes '?'.
std::string quotable(std::string_view text) {
  std::string out;
  for (char c : text) out.push_back(c >= 0x20 && c < 0x7F && c != '"' && c != '\\' ? c : '?');
  return out;
}

}  // namespace

Authenticator::Authenticator(AuthOptions options) : rules_(std::move(options.rules)), keys_(std::move(options.keys)) {}

std::optional<Authenticator::Refusal> Authenticator::refuse(const http::Request& req) const {
  if (req.method == "GET" && req.path == "/health") return std::nullopt;  // liveness probes carry no token
  const std::string realm = "Bearer realm=\"allmende\"";
  auto header = req.header("authorization");
  if (!header)  // no credentials: the challenge names no error (RFC 6750 3.1)
    return Refusal{"this broker needs a bearer token (Authorization: Bearer <JWT> from " + rules_.issuer + ")", realm};
  std::string_view value = *header;
  if (value.size() < 7 || strncasecmp(value.data(), "Bearer ", 7) != 0)
    return Refusal{"the Authorization header must be 'Bearer <JWT>'",
                   realm + ", error=\"invalid_request\", error_description=\"not a bearer token\""};
  auto token = value.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  auto check = verifyJwt(token, *keys_.current(), rules_, ngsi::nowMs());
  if (check.unknownKey) keys_.askReload();  // the issuer may have rotated its keys
  if (check.identity) return std::nullopt;
  return Refusal{check.failure,
                 realm + ", error=\"invalid_token\", error_description=\"" + quotable(check.failure) + "\""};
}

}  // namespace allmende::auth
