// JWT verification with OpenSSL: the signature first, then the claims.
#include "auth/jwt.h"

#include <algorithm>
#include <memory>

#include <boost/json.hpp>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "auth/base64url.h"
#include "ngsi/datetime.h"

namespace allmende::auth {

namespace json = boost::json;

namespace {

struct Algorithm {
  std::string_view name;
  std::string_view kty;
  std::string_view crv;  // for EC and OKP
  const EVP_MD* (*digest)();  // null for EdDSA
  size_t ecSize;              // bytes of r and of s (ES*), 0 otherwise
};

const Algorithm* algorithm(std::string_view name) {
  static const Algorithm all[] = {
      {"RS256", "RSA", "", EVP_sha256, 0},   {"RS384", "RSA", "", EVP_sha384, 0},
      {"RS512", "RSA", "", EVP_sha512, 0},   {"ES256", "EC", "P-256", EVP_sha256, 32},
      {"ES384", "EC", "P-384", EVP_sha384, 48}, {"EdDSA", "OKP", "Ed25519", nullptr, 0},
  };
  for (const auto& a : all)
    if (a.name == name) return &a;
  return nullptr;
}

// A JWS ECDSA signature (r || s, fixed size) as the DER form OpenSSL verifies.
std::optional<std::string> derSignature(const std::string& raw, size_t size) {
  if (raw.size() != 2 * size) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(p, static_cast<int>(size), nullptr);
  BIGNUM* s = BN_bin2bn(p + size, static_cast<int>(size), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

bool verifies(const Algorithm& alg, const Jwk& key, std::string_view signedPart, const std::string& signature) {
  if (key.kty != alg.kty || (!alg.crv.empty() && key.crv != alg.crv) || (!key.alg.empty() && key.alg != alg.name))
    return false;
  std::string sig = signature;
  if (alg.ecSize) {
    auto der = derSignature(signature, alg.ecSize);
    if (!der) return false;
    sig = std::move(*der);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, alg.digest ? alg.digest() : nullptr, nullptr, key.key.get()) != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(signedPart.data()), signedPart.size()) == 1;
}

std::optional<json::object> jsonPart(std::string_view part) {
  auto text = base64UrlDecode(part);
  if (!text) return std::nullopt;
  json::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

std::optional<int64_t> seconds(const json::object& claims, std::string_view name) {
  auto* v = claims.if_contains(name);
  if (!v || !v->is_number()) return std::nullopt;
  return static_cast<int64_t>(v->to_number<double>());
}

std::string text(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Adds the claims of `o` (named with `prefix`) as Identity::claims says.
void collectClaims(const json::object& o, const std::string& prefix, int depth, std::vector<std::string>& out) {
  static constexpr std::string_view kRegistered[] = {"iss", "sub", "aud", "exp", "nbf", "iat", "jti"};
  constexpr size_t kMax = 256;
  for (const auto& [key, value] : o) {
    if (prefix.empty() && std::find(std::begin(kRegistered), std::end(kRegistered), key) != std::end(kRegistered))
      continue;
    std::string name = prefix + std::string(key);
    auto add = [&](const json::value& v) {
      if (v.is_string() && out.size() < kMax) out.push_back(name + "=" + std::string(v.get_string()));
    };
    add(value);
    if (value.is_array())
      for (const auto& v : value.get_array()) add(v);
    if (value.is_object() && depth < 2) collectClaims(value.get_object(), name + ".", depth + 1, out);
  }
}

}  // namespace

TokenCheck verifyJwt(std::string_view token, const JwkSet& keys, const TokenRules& rules, int64_t nowMs) {
  TokenCheck out;
  auto fail = [&out](std::string why) {
    out.failure = std::move(why);
    return out;
  };
  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return fail("the token is not a JWT (three base64url parts)");
  auto header = jsonPart(token.substr(0, dot1));
  auto claims = jsonPart(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64UrlDecode(token.substr(dot2 + 1));
  if (!header || !claims || !signature) return fail("the token is not a JWT (a part is not base64url JSON)");
  auto algName = text(*header, "alg");
  const auto* alg = algorithm(algName);
  if (!alg)
    return fail("the token's algorithm '" + algName + "' is not accepted (RS256, RS384, RS512, ES256, ES384, EdDSA)");
  if (header->contains("crit")) return fail("the token has critical header parameters this broker does not know");
  bool verified = false;
  if (auto kid = text(*header, "kid"); !kid.empty()) {
    const auto* key = keys.find(kid);
    if (!key) {
      out.unknownKey = true;
      return fail("the token's key id '" + kid + "' is not in the issuer's key set");
    }
    verified = verifies(*alg, *key, token.substr(0, dot2), *signature);
  } else {
    for (const auto& key : keys.keys()) verified = verified || verifies(*alg, key, token.substr(0, dot2), *signature);
  }
  if (!verified) return fail("the token's signature does not verify");
  // The claims of a token known to come from the issuer's keys.
  if (text(*claims, "iss") != rules.issuer) return fail("the token was issued by '" + text(*claims, "iss") + "', not by this broker's issuer");
  Identity id;
  if (auto* aud = claims->if_contains("aud")) {
    if (aud->is_string()) id.audience.emplace_back(aud->get_string());
    if (aud->is_array())
      for (const auto& a : aud->get_array())
        if (a.is_string()) id.audience.emplace_back(a.get_string());
  }
  if (!rules.audience.empty() && std::find(id.audience.begin(), id.audience.end(), rules.audience) == id.audience.end())
    return fail("the token is not meant for this broker (its audience does not name '" + rules.audience + "')");
  auto exp = seconds(*claims, "exp");
  if (!exp) return fail("the token has no expiry (exp)");
  if (*exp * 1000 + rules.skewMs <= nowMs) return fail("the token expired at " + ngsi::formatDateTime(*exp * 1000));
  auto nbf = seconds(*claims, "nbf");
  if (nbf && *nbf * 1000 - rules.skewMs > nowMs)
    return fail("the token is not valid before " + ngsi::formatDateTime(*nbf * 1000));
  id.expiresMs = *exp * 1000;
  id.notBeforeMs = nbf ? *nbf * 1000 : 0;
  id.subject = text(*claims, "sub");
  id.client = text(*claims, "azp");
  if (id.client.empty()) id.client = text(*claims, "client_id");
  collectClaims(*claims, "", 0, id.claims);
  out.identity = std::move(id);
  return out;
}

}  // namespace allmende::auth
