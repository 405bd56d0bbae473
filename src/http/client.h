// A small blocking HTTP/1.1 client: fetches remote JSON-LD @contexts and
// posts notifications (from the notifier's own threads, never a request's).
// http:// and https:// (certificates verified against the system's trust
// store plus an optional extra CA file, host name checked, SNI sent). Every
// call is bounded by a timeout and a size limit.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace allmende::http {

struct ClientResponse {
  bool ok = false;      // transport succeeded and a response was read
  std::string error;    // why not, when !ok
  int status = 0;
  std::string contentType;
  std::string location;  // of a redirect
  std::string body;
};

struct ClientOptions {
  std::chrono::milliseconds timeout{5000};  // for the whole exchange
  size_t maxBytes = 2 * 1024 * 1024;        // largest body accepted
  std::string extraCaFile;                  // PEM certificates trusted besides the system's
};

using ClientHeaders = std::vector<std::pair<std::string, std::string>>;

// A client that keeps its connection to the last origin open between requests
// (HTTP/1.1 keep-alive), for a sender posting many requests to one endpoint.
// A request that fails on a kept connection before any response arrived is
// sent once more on a new one. Not thread-safe: one per thread.
class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  ClientResponse send(std::string_view method, const std::string& url, const std::string& body,
                      const ClientHeaders& headers);

 private:
  struct Connection;
  ClientOptions options_;
  std::unique_ptr<Connection> connection_;
};

// GETs url (following up to 3 redirects) on a connection of its own. Thread-safe.
ClientResponse get(const std::string& url, const ClientOptions& options, const ClientHeaders& headers = {});

}  // namespace allmende::http
