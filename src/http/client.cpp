// Blocking GET and POST built on Beast's async operations driven by a private
// io_context with run_for(), so that a stalled server cannot hold a caller
// longer than the timeout. https goes through Asio's OpenSSL stream.
#include "http/client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <optional>

namespace allmende::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

struct Target {
  bool tls = false;
  std::string host, port, hostAndPort, resource;
};

// Runs the exchange on `stream` (a tcp_stream or an ssl_stream over one).
template <class Stream>
void exchange(Stream& stream, bhttp::request<bhttp::string_body>& req, beast::flat_buffer& buffer,
              bhttp::response_parser<bhttp::string_body>& parser, beast::error_code& failure,
              ClientResponse& out) {
  bhttp::async_write(stream, req, [&](beast::error_code ec, size_t) {
    if (ec) {
      failure = ec;
      return;
    }
    bhttp::async_read(stream, buffer, parser, [&](beast::error_code ec, size_t) {
      if (ec)
        failure = ec;
      else
        out.ok = true;
    });
  });
}

ClientResponse sendOnce(bhttp::verb method, const Target& t, const std::string& body,
                        const ClientOptions& options,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        std::string& redirect) {
  ClientResponse out;
  asio::io_context io;
  tcp::resolver resolver(io);
  ssl::context tlsContext(ssl::context::tls_client);
  if (t.tls) {  // loading the trust store costs milliseconds: only for https
    tlsContext.set_default_verify_paths();
    if (!options.extraCaFile.empty()) {
      beast::error_code ec;
      tlsContext.load_verify_file(options.extraCaFile, ec);
      if (ec) {
        out.error = "cannot read the CA file " + options.extraCaFile + ": " + ec.message();
        return out;
      }
    }
    tlsContext.set_verify_mode(ssl::verify_peer);
  }
  beast::ssl_stream<beast::tcp_stream> tlsStream(io, tlsContext);
  beast::tcp_stream& tcpStream = beast::get_lowest_layer(tlsStream);
  if (t.tls) {
    if (!SSL_set_tlsext_host_name(tlsStream.native_handle(), t.host.c_str())) {
      out.error = "cannot set the TLS server name";
      return out;
    }
    tlsStream.set_verify_callback(ssl::host_name_verification(t.host));
  }
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> req{method, t.resource, 11};
  req.set(bhttp::field::host, t.hostAndPort);
  req.set(bhttp::field::accept, "application/ld+json, application/json;q=0.9, */*;q=0.1");
  req.set(bhttp::field::user_agent, "allmende");
  for (const auto& [n, v] : headers) req.set(n, v);
  if (method != bhttp::verb::get) {
    req.body() = body;
    req.prepare_payload();
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options.maxBytes);
  beast::error_code failure;

  tcpStream.expires_after(options.timeout);
  resolver.async_resolve(t.host, t.port, [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      failure = ec;
      return;
    }
    tcpStream.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        failure = ec;
        return;
      }
      if (!t.tls) return exchange(tcpStream, req, buffer, parser, failure, out);
      tlsStream.async_handshake(ssl::stream_base::client, [&](beast::error_code ec) {
        if (ec) {
          failure = ec;
          return;
        }
        exchange(tlsStream, req, buffer, parser, failure, out);
      });
    });
  });
  io.run_for(options.timeout + std::chrono::milliseconds(100));
  if (!out.ok) {
    out.error = failure ? failure.message() : "timed out";
    return out;
  }
  auto& msg = parser.get();
  out.status = static_cast<int>(msg.result_int());
  if (auto it = msg.find(bhttp::field::content_type); it != msg.end())
    out.contentType = std::string(it->value());
  if (out.status >= 300 && out.status < 400) {
    if (auto it = msg.find(bhttp::field::location); it != msg.end()) redirect = std::string(it->value());
  }
  out.body = std::move(msg.body());
  beast::error_code ignored;
  tcpStream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

// The parts of an http(s) URL the exchange needs; nullopt (with `error` set) otherwise.
std::optional<Target> targetOf(const std::string& url, std::string& error) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    error = "not a valid URL";
    return std::nullopt;
  }
  if (parsed->scheme() != "http" && parsed->scheme() != "https") {
    error = "only http:// and https:// URLs can be reached";
    return std::nullopt;
  }
  Target t;
  t.tls = parsed->scheme() == "https";
  t.host = std::string(parsed->encoded_host());
  if (t.host.size() > 2 && t.host.front() == '[' && t.host.back() == ']')
    t.host = t.host.substr(1, t.host.size() - 2);
  t.port = parsed->has_port() ? std::string(parsed->port()) : t.tls ? "443" : "80";
  t.hostAndPort = std::string(parsed->encoded_host_and_port());
  t.resource = std::string(parsed->encoded_resource());
  if (t.resource.empty()) t.resource = "/";
  return t;
}

}  // namespace

ClientResponse get(const std::string& url, const ClientOptions& options,
                   const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string current = url;
  for (int hop = 0; hop < 4; ++hop) {
    ClientResponse fault;
    auto t = targetOf(current, fault.error);
    if (!t) return fault;
    std::string redirect;
    auto res = sendOnce(bhttp::verb::get, *t, {}, options, headers, redirect);
    if (redirect.empty()) return res;
    current = redirect;
  }
  ClientResponse tooMany;
  tooMany.error = "too many redirects";
  return tooMany;
}

ClientResponse post(const std::string& url, const std::string& body, const ClientOptions& options,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
  ClientResponse fault;
  auto t = targetOf(url, fault.error);
  if (!t) return fault;
  std::string ignoredRedirect;
  return sendOnce(bhttp::verb::post, *t, body, options, headers, ignoredRedirect);
}

}  // namespace allmende::http
