// One HTTP/1.1 client connection driven by an Asio event loop: it sends one
// request at a time to one origin and keeps the connection open between
// requests (keep-alive). http:// and https:// (certificates verified against
// the system's trust store plus an optional extra CA file, host name checked,
// SNI sent). Every exchange is bounded by a timeout (from resolving the host
// to the last byte of the answer) and a size limit. A request that fails on a
// kept connection before any response byte arrived is sent once more on a new
// one (the server had closed the idle connection).
//
// Not thread-safe: create it, call send() and destroy it in handlers of its
// executor (a strand when several threads run the event loop). The callback
// runs there too, exactly once, never inside send().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

namespace allmende::http {

struct ClientResponse {
  bool ok = false;      // transport succeeded and a response was read
  std::string error;    // why not, when !ok
  bool answered = false;  // some response byte arrived (a failure after it may have reached the server's handler)
  int status = 0;
  std::string contentType;
  std::string location;  // of a redirect
  std::string body;
  std::vector<std::string> warnings;  // its NGSILD-Warning headers
};

struct ClientOptions {
  std::chrono::milliseconds timeout{5000};  // for the whole exchange
  size_t maxBytes = 2 * 1024 * 1024;        // largest body accepted
  std::string extraCaFile;                  // PEM certificates trusted besides the system's
};

using ClientHeaders = std::vector<std::pair<std::string, std::string>>;

class AsyncClient {
 public:
  using Callback = std::function<void(ClientResponse)>;

  AsyncClient(boost::asio::any_io_executor executor, ClientOptions options);
  ~AsyncClient();  // closes the connection; a callback still due is not called
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Sends one request; the client must not be busy().
  void send(std::string_view method, const std::string& url, std::string body, const ClientHeaders& headers,
            Callback done);
  bool busy() const;
  // Closes an idle kept connection (the next send opens a new one).
  void close();

  struct State;  // defined in async_client.cpp

 private:
  std::shared_ptr<State> state_;  // shared with the operations in flight
};

}  // namespace allmende::http
