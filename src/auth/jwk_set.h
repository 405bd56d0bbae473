// A JSON Web Key Set (RFC 7517) of public signing keys, as an OpenID Connect
// issuer publishes it: RSA keys (n, e; at least 2048 bits), EC keys on P-256
// and P-384 (x, y) and Ed25519 keys (OKP, x), each ready for OpenSSL to verify
// with. Keys meant for encryption (use "enc") and keys of other kinds are left
// out; a set that is not JSON or has no usable key is an error.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace allmende::auth {

struct Jwk {
  std::string kid;  // may be empty
  std::string kty;  // RSA, EC, OKP
  std::string crv;  // P-256, P-384, Ed25519 (EC and OKP)
  std::string alg;  // the algorithm the key is restricted to, if it names one
  std::shared_ptr<EVP_PKEY> key;
};

class JwkSet {
 public:
  // Throws std::runtime_error with a description when the text is not a usable key set.
  static JwkSet parse(std::string_view json);

  const std::vector<Jwk>& keys() const { return keys_; }
  const Jwk* find(std::string_view kid) const;

 private:
  std::vector<Jwk> keys_;
};

}  // namespace allmende::auth
