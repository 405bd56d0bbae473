// The blocking GET: one io_context per call, run until the exchange ends.
#include "http/client.h"

#include <boost/asio/io_context.hpp>

namespace allmende::http {

ClientResponse get(const std::string& url, const ClientOptions& options, const ClientHeaders& headers) {
  boost::asio::io_context io;
  AsyncClient client(io.get_executor(), options);
  std::string current = url;
  for (int hop = 0; hop < 4; ++hop) {
    ClientResponse res;
    client.send("GET", current, {}, headers, [&res](ClientResponse r) { res = std::move(r); });
    io.restart();
    io.run();
    if (!res.ok || res.status < 300 || res.status >= 400 || res.location.empty()) return res;
    current = res.location;
  }
  ClientResponse tooMany;
  tooMany.error = "too many redirects";
  return tooMany;
}

}  // namespace allmende::http
