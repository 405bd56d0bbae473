// The HTTP/1.1 server (Boost.Beast over Asio): a pool of I/O threads, keep-alive,
// a request body limit, header and idle timeouts, and a graceful drain on
// SIGTERM/SIGINT; optionally TLS (certificate and key read again on SIGHUP).
// It runs on the broker's event loop (an io_context given to
// it, which other parts of the broker use for their asynchronous work too).
// Handlers run synchronously on the I/O thread that read the request; each
// connection is served in order on its own strand. Every response is counted
// in the RequestMetrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/message.h"

namespace boost::asio {
class io_context;
}

namespace allmende::http {

struct ServerOptions {
  std::string listen = "127.0.0.1";
  uint16_t port = 1026;  // 0 picks a free port (see Server::bind)
  int threads = 0;       // 0 = one per core
  size_t maxBodyBytes = 8 * 1024 * 1024;
  std::chrono::milliseconds headerTimeout{30000};  // to receive a whole request once it began
  std::chrono::milliseconds idleTimeout{60000};    // keep-alive wait for the next request
  std::chrono::milliseconds drainTimeout{10000};   // in-flight requests get this long on SIGTERM
  std::string tlsCert;  // PEM certificate chain; with tlsKey: HTTPS only (see server_tls.h), reloaded on SIGHUP
  std::string tlsKey;   // PEM private key
};

class RequestMetrics;

class Server {
 public:
  using Handler = std::function<Response(Request&)>;
  // Builds the error response the server itself must send (413, 400 for broken HTTP).
  using ProblemFactory = std::function<Response(int status, std::string_view detail)>;

  // `io` is best made with the number of threads as its concurrency hint.
  Server(boost::asio::io_context& io, ServerOptions options, Handler handler,
         ProblemFactory problem, RequestMetrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; throws std::runtime_error on failure. Returns the bound port.
  uint16_t bind();
  // Runs the event loop on options.threads threads until SIGTERM/SIGINT or
  // stop(), then drains in-flight requests, stops the loop, closes the
  // connections left (no request handler runs after it) and returns.
  void run();
  // Asks run() to drain and return; safe from any thread.
  void stop();

  struct Impl;  // defined in server.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace allmende::http
