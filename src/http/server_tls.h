// The TLS configuration of the listener: a certificate chain and its private
// key (PEM files), TLS 1.2 and 1.3 only, and for TLS 1.2 only forward-secret
// AEAD cipher suites (ECDHE with AES-GCM or ChaCha20-Poly1305).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace allmende::http {

// Throws std::runtime_error naming the file and OpenSSL's reason when the
// certificate or key cannot be used (unreadable, not PEM, not a pair).
std::shared_ptr<boost::asio::ssl::context> serverTlsContext(const std::string& certFile, const std::string& keyFile);

}  // namespace allmende::http
