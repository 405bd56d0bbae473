// Verification of a JSON Web Token (RFC 7519) signed as a JWS in compact form
// (RFC 7515) with RS256/RS384/RS512, ES256/ES384 or EdDSA (Ed25519): the
// signature against a key of the set (by kid, or every key of the algorithm's
// kind when the token names none), then the claims: issuer, audience, expiry
// (required) and not-before, with a clock skew. "none" and HMAC algorithms are
// refused: a broker that holds only public keys must never accept a token
// anyone could make.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwk_set.h"

namespace allmende::auth {

struct TokenRules {
  std::string issuer;    // iss must equal it
  std::string audience;  // aud (a string or an array) must hold it; empty: not checked
  int64_t skewMs = 60000;
};

// Who a verified token speaks for.
struct Identity {
  std::string subject;  // sub
  std::string client;   // azp, else client_id (the application)
  std::vector<std::string> audience;
  int64_t expiresMs = 0;    // exp
  int64_t notBeforeMs = 0;  // nbf (0: none)
  // "<name>=<value>" for each string claim and each string of an array claim
  // (groups, roles), objects' members with dotted names ("realm_access.roles=editor");
  // not the registered claims (iss, sub, aud, exp, nbf, iat, jti). At most 256.
  std::vector<std::string> claims;
};

struct TokenCheck {
  std::optional<Identity> identity;  // set when the token is valid
  std::string failure;               // why not (never the token itself)
  bool unknownKey = false;           // it names a kid the set does not hold (the set may be stale)
};

TokenCheck verifyJwt(std::string_view token, const JwkSet& keys, const TokenRules& rules, int64_t nowMs);

}  // namespace allmende::auth
