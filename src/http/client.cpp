// Blocking GET built on Beast's async operations driven by a private
// io_context with run_for(), so that a stalled server cannot hold a caller
// longer than the timeout.
#include "http/client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

namespace allmende::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

ClientResponse getOnce(const std::string& url, std::chrono::milliseconds timeout, size_t maxBytes,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::string& redirect) {
  ClientResponse out;
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    out.error = "not a valid URL";
    return out;
  }
  if (parsed->scheme() != "http") {
    out.error = "only http:// URLs can be fetched (got " + std::string(parsed->scheme()) + ")";
    return out;
  }
  std::string host(parsed->encoded_host());
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
  std::string target(parsed->encoded_resource());
  if (target.empty()) target = "/";

  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, std::string(parsed->encoded_host_and_port()));
  req.set(bhttp::field::accept, "application/ld+json, application/json;q=0.9, */*;q=0.1");
  req.set(bhttp::field::user_agent, "allmende");
  for (const auto& [n, v] : headers) req.set(n, v);
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(maxBytes);
  beast::error_code failure;

  stream.expires_after(timeout);
  resolver.async_resolve(host, port, [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) { failure = ec; return; }
    stream.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) { failure = ec; return; }
      bhttp::async_write(stream, req, [&](beast::error_code ec, size_t) {
        if (ec) { failure = ec; return; }
        bhttp::async_read(stream, buffer, parser, [&](beast::error_code ec, size_t) {
          if (ec) { failure = ec; return; }
          out.ok = true;
        });
      });
    });
  });
  io.run_for(timeout + std::chrono::milliseconds(100));
  if (!out.ok) {
    out.error = failure ? failure.message() : "timed out";
    return out;
  }
  auto& msg = parser.get();
  out.status = static_cast<int>(msg.result_int());
  if (auto it = msg.find(bhttp::field::content_type); it != msg.end())
    out.contentType = std::string(it->value());
  if (out.status >= 300 && out.status < 400) {
    if (auto it = msg.find(bhttp::field::location); it != msg.end())
      redirect = std::string(it->value());
  }
  out.body = std::move(msg.body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace

ClientResponse get(const std::string& url, std::chrono::milliseconds timeout, size_t maxBytes,
                   const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string current = url;
  for (int hop = 0; hop < 4; ++hop) {
    std::string redirect;
    auto res = getOnce(current, timeout, maxBytes, headers, redirect);
    if (redirect.empty()) return res;
    current = redirect;
  }
  ClientResponse tooMany;
  tooMany.error = "too many redirects";
  return tooMany;
}

}  // namespace allmende::http
