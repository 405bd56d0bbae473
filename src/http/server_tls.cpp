// Building the listener's TLS context.
#include "http/server_tls.h"

#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace allmende::http {

namespace ssl = boost::asio::ssl;

namespace {

std::string opensslReason() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown reason";
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  return text;
}

}  // namespace

std::shared_ptr<ssl::context> serverTlsContext(const std::string& certFile, const std::string& keyFile) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  auto* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(native,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(native, certFile.c_str()) != 1)
    throw std::runtime_error("the TLS certificate " + certFile + " cannot be used: " + opensslReason());
  if (SSL_CTX_use_PrivateKey_file(native, keyFile.c_str(), SSL_FILETYPE_PEM) != 1)  // also: the certificate's key?
    throw std::runtime_error("the TLS key " + keyFile + " cannot be used: " + opensslReason());
  return ctx;
}

}  // namespace allmende::http
