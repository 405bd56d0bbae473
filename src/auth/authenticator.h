// Authentication of API requests (off unless configured): every request but
// GET /health must carry `Authorization: Bearer <JWT>` from the configured
// issuer (signature by the issuer's key set, issuer, audience, expiry,
// not-before). A request without one, or with one that fails, is answered 401
// with a ProblemDetails and a `WWW-Authenticate: Bearer` challenge (RFC 6750)
// that says why; the token itself is never logged or echoed.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "auth/jwt.h"
#include "auth/key_source.h"
#include "http/message.h"

namespace allmende::auth {

struct AuthOptions {
  TokenRules rules;
  KeySourceOptions keys;
};

class Authenticator {
 public:
  explicit Authenticator(AuthOptions options);  // throws std::runtime_error if the key set cannot be read

  struct Refusal {
    std::string detail;     // for the ProblemDetails
    std::string challenge;  // the WWW-Authenticate value
  };
  // Why a request may not pass, or nullopt if it may.
  std::optional<Refusal> refuse(const http::Request& req) const;

 private:
  TokenRules rules_;
  mutable KeySource keys_;
};

}  // namespace allmende::auth
