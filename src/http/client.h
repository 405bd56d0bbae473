// A small blocking HTTP/1.1 client: fetches remote JSON-LD @contexts and
// posts notifications (from the notifier's own thread, never a request's). http://
// and https:// (certificates verified against the system's trust store plus an
// optional extra CA file, host name checked, SNI sent). Every call is bounded
// by a timeout and a size limit. Thread-safe: each call uses its own io_context.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace allmende::http {

struct ClientResponse {
  bool ok = false;      // transport succeeded and a response was read
  std::string error;    // why not, when !ok
  int status = 0;
  std::string contentType;
  std::string body;
};

struct ClientOptions {
  std::chrono::milliseconds timeout{5000};  // for the whole exchange
  size_t maxBytes = 2 * 1024 * 1024;        // largest body accepted
  std::string extraCaFile;                  // PEM certificates trusted besides the system's
};

// GETs url (following up to 3 redirects).
ClientResponse get(const std::string& url, const ClientOptions& options,
                   const std::vector<std::pair<std::string, std::string>>& headers = {});

// POSTs body to url (no redirects followed). headers carry Content-Type etc.
ClientResponse post(const std::string& url, const std::string& body, const ClientOptions& options,
                    const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace allmende::http
