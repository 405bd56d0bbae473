// The machine's ceiling for bench/run: the broker's own HTTP server (same
// Beast/Asio stack, same options, same request metrics) answering every
// request with fixed bytes of the size of a retrieve response, and nothing
// else. The ratio broker/ceiling of a read scenario is the figure that carries
// from one machine to another.
//   bench_ceiling PORT BODY_BYTES
#include <cstdlib>
#include <iostream>
#include <string>

#include <boost/asio/io_context.hpp>

#include "http/request_metrics.h"
#include "http/server.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: bench_ceiling PORT BODY_BYTES\n";
    return 2;
  }
  allmende::http::ServerOptions options;
  options.port = static_cast<uint16_t>(std::atoi(argv[1]));
  options.threads = 1;
  std::string body = "{\"id\":\"urn:ngsi-ld:Ceiling:1\",\"filler\":\"";
  size_t size = static_cast<size_t>(std::atol(argv[2]));
  if (size > body.size() + 2) body.append(size - body.size() - 2, 'x');
  body += "\"}";
  allmende::http::RequestMetrics metrics;
  boost::asio::io_context io(1);
  allmende::http::Server server(
      io, options,
      [&body](allmende::http::Request&) {
        allmende::http::Response res;
        res.setHeader("Content-Type", "application/json");
        res.body = body;
        return res;
      },
      [](int status, std::string_view) {
        allmende::http::Response res;
        res.status = status;
        return res;
      },
      metrics);
  server.bind();
  server.run();
  return 0;
}
