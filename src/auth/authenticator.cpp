// Bearer tokens on API requests: the header, the token, the challenge.
#include "auth/authenticator.h"

#include <strings.h>

#include <algorithm>

#include <openssl/crypto.h>

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

constexpr size_t kRemembered = 10000;

}  // namespace

std::shared_ptr<const http::Caller> Authenticator::remembered(const std::string& token, const std::shared_ptr<const JwkSet>& keys,
                                                     int64_t nowMs) const {
  std::lock_guard lock(mutex_);
  auto it = verified_.find(token);
  if (it == verified_.end()) return nullptr;
  // Checked again on each use: its times, and that the key set did not change since.
  if (it->second.keys == keys && nowMs < it->second.expMs + rules_.skewMs && nowMs >= it->second.nbfMs - rules_.skewMs)
    return it->second.caller;
  verified_.erase(it);
  return nullptr;
}

Authenticator::Authenticator(AuthOptions options, const ApiKeys& apiKeys, const Policy& policy)
    : rules_(std::move(options.rules)), admin_(std::move(options.admin)),
      notificationKey_(std::move(options.notificationKey)), notificationPaths_(std::move(options.notificationPaths)),
      keys_(std::move(options.keys)), apiKeys_(apiKeys), policy_(policy) {}

namespace {

// The notifier's one principal: no token or key makes it (theirs are "sub:...", "apikey:...", ...).
constexpr std::string_view kNotifier = "notifier";

}  // namespace

bool Authenticator::isNotifier(const http::Caller* caller) {
  return caller && caller->principals.size() == 1 && caller->principals[0] == kNotifier;
}

std::optional<Authenticator::Refusal> Authenticator::refuse(http::Request& req) const {
  if (req.method == "GET" && req.path == "/health") return std::nullopt;  // liveness probes carry no token
  const std::string realm = "Bearer realm=\"allmende\"";
  auto header = req.header("authorization");
  if (!header && policy_.open(req.header("ngsild-tenant").value_or(""))) {
    static const auto anonymous = std::make_shared<const http::Caller>();
    req.caller = anonymous;
    return std::nullopt;
  }
  if (!header)  // no credentials: the challenge names no error (RFC 6750 3.1)
    return Refusal{"this broker needs a bearer token (Authorization: Bearer <JWT> from " + rules_.issuer + ")", realm};
  std::string_view value = *header;
  if (value.size() < 7 || strncasecmp(value.data(), "Bearer ", 7) != 0)
    return Refusal{"the Authorization header must be 'Bearer <JWT>'",
                   realm + ", error=\"invalid_request\", error_description=\"not a bearer token\""};
  auto view = value.substr(7);
  while (!view.empty() && view.front() == ' ') view.remove_prefix(1);
  std::string token(view);
  if (!notificationKey_.empty() && token.size() == notificationKey_.size() &&
      CRYPTO_memcmp(token.data(), notificationKey_.data(), token.size()) == 0) {
    bool notifies = req.method == "POST" && std::find(notificationPaths_.begin(), notificationPaths_.end(),
                                                      req.path) != notificationPaths_.end();
    if (!notifies)
      return Refusal{"the broker's notification key is good for context sources' notifications only",
                     realm + ", error=\"invalid_token\", error_description=\"a notification key\""};
    static const auto notifier =
        std::make_shared<const http::Caller>(http::Caller{"", "context source", {std::string(kNotifier)}});
    req.caller = notifier;
    return std::nullopt;
  }
  if (token.starts_with(ApiKeys::kPrefix)) {
    auto key = apiKeys_.identify(token);
    if (!key)
      return Refusal{"the API key is not known (it may have been revoked)",
                     realm + ", error=\"invalid_token\", error_description=\"unknown API key\""};
    req.caller = std::make_shared<const http::Caller>(
        http::Caller{"apikey:" + key->id, key->name, {"apikey:" + key->id, "authenticated"}});
    return std::nullopt;
  }
  auto keys = keys_.current();
  auto now = ngsi::nowMs();
  if (auto caller = remembered(token, keys, now)) {
    req.caller = std::move(caller);
    return std::nullopt;
  }
  auto check = verifyJwt(token, *keys, rules_, now);
  if (check.unknownKey) keys_.askReload();  // the issuer may have rotated its keys
  if (check.identity) {
    auto& id = *check.identity;
    http::Caller caller{id.subject, id.client, {"sub:" + id.subject, "authenticated"}};
    for (auto& claim : id.claims) caller.principals.push_back("claim:" + std::move(claim));
    req.caller = std::make_shared<const http::Caller>(std::move(caller));
    std::lock_guard lock(mutex_);
    if (verified_.size() >= kRemembered) verified_.clear();  // rare: as many clients as that within their tokens' lives
    verified_[std::move(token)] = {req.caller, id.expiresMs, id.notBeforeMs, std::move(keys)};
    return std::nullopt;
  }
  return Refusal{check.failure,
                 realm + ", error=\"invalid_token\", error_description=\"" + quotable(check.failure) + "\""};
}

}  // namespace allmende::auth
