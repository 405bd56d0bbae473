// JWKS parsing: each JSON Web Key becomes an OpenSSL public key.
#include "auth/jwk_set.h"

#include <stdexcept>

#include <boost/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <spdlog/spdlog.h>

#include "auth/base64url.h"

namespace allmende::auth {

namespace json = boost::json;

namespace {

std::string member(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string bytes(const json::object& o, std::string_view name) {
  auto decoded = base64UrlDecode(member(o, name));
  if (!decoded || decoded->empty()) throw std::runtime_error("'" + std::string(name) + "' is not base64url");
  return *decoded;
}

using Params = std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)>;
using Bignum = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

Bignum bignum(const std::string& b) {
  return Bignum(BN_bin2bn(reinterpret_cast<const unsigned char*>(b.data()), static_cast<int>(b.size()), nullptr),
                BN_free);
}

// A public key from OpenSSL parameters of the given key type ("RSA", "EC").
std::shared_ptr<EVP_PKEY> fromParams(const char* type, OSSL_PARAM_BLD* builder) {
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(builder), OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr),
                                                                   EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    throw std::runtime_error("OpenSSL does not take it as a public key");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

std::shared_ptr<EVP_PKEY> rsaKey(const json::object& o) {
  auto n = bignum(bytes(o, "n")), e = bignum(bytes(o, "e"));
  Params b(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  if (!b || !n || !e || OSSL_PARAM_BLD_push_BN(b.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(b.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    throw std::runtime_error("bad RSA parameters");
  auto key = fromParams("RSA", b.get());
  if (EVP_PKEY_get_bits(key.get()) < 2048) throw std::runtime_error("RSA keys need at least 2048 bits");
  return key;
}

std::shared_ptr<EVP_PKEY> ecKey(const json::object& o, const std::string& crv) {
  size_t size = crv == "P-256" ? 32 : crv == "P-384" ? 48 : 0;
  if (size == 0) throw std::runtime_error("curve '" + crv + "' is not supported (P-256, P-384)");
  auto x = bytes(o, "x"), y = bytes(o, "y");
  if (x.size() != size || y.size() != size) throw std::runtime_error("x and y must have " + std::to_string(size) + " bytes");
  std::string point = "\x04" + x + y;  // uncompressed
  Params b(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  const char* group = crv == "P-256" ? "prime256v1" : "secp384r1";
  if (!b || OSSL_PARAM_BLD_push_utf8_string(b.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(b.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    throw std::runtime_error("bad EC parameters");
  return fromParams("EC", b.get());
}

std::shared_ptr<EVP_PKEY> okpKey(const json::object& o, const std::string& crv) {
  if (crv != "Ed25519") throw std::runtime_error("curve '" + crv + "' is not supported (Ed25519)");
  auto x = bytes(o, "x");
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(x.data()), x.size());
  if (!key) throw std::runtime_error("not an Ed25519 public key");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

}  // namespace

JwkSet JwkSet::parse(std::string_view text) {
  json::error_code ec;
  auto doc = json::parse(text, ec);
  auto* keys = !ec && doc.is_object() ? doc.get_object().if_contains("keys") : nullptr;
  if (!keys || !keys->is_array()) throw std::runtime_error("not a JSON Web Key Set (an object with \"keys\")");
  JwkSet set;
  for (const auto& v : keys->get_array()) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    Jwk k{member(o, "kid"), member(o, "kty"), member(o, "crv"), member(o, "alg"), nullptr};
    if (auto use = member(o, "use"); !use.empty() && use != "sig") continue;  // an encryption key
    try {
      if (k.kty == "RSA") k.key = rsaKey(o);
      else if (k.kty == "EC") k.key = ecKey(o, k.crv);
      else if (k.kty == "OKP") k.key = okpKey(o, k.crv);
      else throw std::runtime_error("key type '" + k.kty + "' is not supported (RSA, EC, OKP)");
    } catch (const std::runtime_error& e) {
      spdlog::warn("JSON Web Key '{}' left out: {}", k.kid, e.what());
      continue;
    }
    set.keys_.push_back(std::move(k));
  }
  if (set.keys_.empty()) throw std::runtime_error("the key set holds no usable signing key");
  return set;
}

const Jwk* JwkSet::find(std::string_view kid) const {
  for (const auto& k : keys_)
    if (k.kid == kid) return &k;
  return nullptr;
}

}  // namespace allmende::auth
