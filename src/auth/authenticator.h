// Authentication of API requests (off unless configured): every request but
// GET /health must carry `Authorization: Bearer <JWT>` from the configured
// issuer (signature by the issuer's key set, issuer, audience, expiry,
// not-before), or `Authorization: Bearer <API key>` (auth/api_keys.h); a
// request without credentials passes as anonymous only to a tenant that grants
// something to anyone (auth/policy.h). A request without one, or with one that fails, is answered 401
// with a ProblemDetails and a `WWW-Authenticate: Bearer` challenge (RFC 6750)
// that says why; the token itself is never logged or echoed. A verified token
// is remembered (up to 10,000, until its expiry, while the key set is the
// same), so that a client's next requests cost a look-up, not a signature
// check. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "auth/api_keys.h"
#include "auth/jwt.h"
#include "auth/key_source.h"
#include "auth/policy.h"
#include "http/message.h"

namespace allmende::auth {

struct AuthOptions {
  TokenRules rules;
  KeySourceOptions keys;
  std::string admin;  // the token sub of the broker-wide admin (manages API keys); empty: none
  // The broker's notification key (a secret it gives context sources for
  // their notifications to it), accepted only for POST to these paths.
  std::string notificationKey;
  std::vector<std::string> notificationPaths;
};

class Authenticator {
 public:
  // Throws std::runtime_error if the key set cannot be read.
  Authenticator(AuthOptions options, const ApiKeys& apiKeys, const Policy& policy);

  struct Refusal {
    std::string detail;     // for the ProblemDetails
    std::string challenge;  // the WWW-Authenticate value
  };
  // Why a request may not pass, or nullopt if it may (then req.caller says
  // who sent it; with no principals: anonymous).
  std::optional<Refusal> refuse(http::Request& req) const;
  // Whether the caller is a context source notifying with the broker's notification key.
  static bool isNotifier(const http::Caller* caller);
  // Whether the caller is the broker-wide admin.
  bool isAdmin(const http::Caller* caller) const { return !admin_.empty() && caller && caller->subject == admin_; }
  // What the caller (null: anonymous) may do in the tenant: everything for the
  // broker's admin, else what the policy grants it.
  std::shared_ptr<const Access> access(const http::Caller* caller, std::string_view tenant) const {
    return isAdmin(caller) ? Access::everything() : policy_.access(caller, tenant);
  }

 private:
  struct Verified {
    std::shared_ptr<const http::Caller> caller;
    int64_t expMs;
    int64_t nbfMs;
    std::shared_ptr<const JwkSet> keys;  // the set it was verified with
  };
  // The caller of a token verified before (still valid, same key set), or null.
  std::shared_ptr<const http::Caller> remembered(const std::string& token, const std::shared_ptr<const JwkSet>& keys,
                                        int64_t nowMs) const;

  TokenRules rules_;
  std::string admin_;
  std::string notificationKey_;
  std::vector<std::string> notificationPaths_;
  mutable KeySource keys_;
  const ApiKeys& apiKeys_;
  const Policy& policy_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, Verified> verified_;
};

}  // namespace allmende::auth
