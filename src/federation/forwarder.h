// Sends requests to registered context sources (distributed operations,
// clause 4.3.6) on the broker's event loop: all requests of one operation go
// out at once, each bounded by its own timeout, and no thread waits for them.
// Connections are kept open between requests and reused, per origin (up to
// 64 idle ones: as many as a busy district keeps in flight, so that none is
// opened and closed per request; the rest closed). Thread-safe: send() may be called from any
// thread; `done` runs on the event loop (any of its threads, not the
// forwarder's strand, so that answers are made in parallel).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "http/async_client.h"

namespace allmende::federation {

struct ForwardRequest {
  std::string method;
  std::string url;
  std::string body;
  http::ClientHeaders headers;
  std::chrono::milliseconds timeout{5000};
};

class Forwarder {
 public:
  Forwarder(boost::asio::io_context& io, http::ClientOptions defaults);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Sends every request at once; `done` runs once with the answers, in the
  // order of the requests (a failed one has ok false and the error).
  void send(std::vector<ForwardRequest> requests,
            std::function<void(std::vector<http::ClientResponse>)> done);

  struct State;  // defined in forwarder.cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace allmende::federation
