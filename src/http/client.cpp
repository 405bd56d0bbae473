// Blocking requests built on Beast's async operations driven by a private
// io_context with run_for(), so that a stalled server cannot hold a caller
// longer than the timeout. https goes through Asio's OpenSSL stream.
#include "http/client.h"

#include <optional>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

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
  std::string origin() const { return (tls ? "https://" : "http://") + hostAndPort; }
};

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

// One open connection (plain or TLS) to one origin, with its io_context.
struct Client::Connection {
  asio::io_context io;
  ssl::context tls{ssl::context::tls_client};
  bool trustLoaded = false;
  std::string origin;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;  // TLS used only for https
  bool secure = false;
  beast::flat_buffer buffer;

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(*stream); }

  // Runs the queued operations for at most `timeout`; false if they did not finish.
  bool run(std::chrono::milliseconds timeout) {
    io.restart();
    io.run_for(timeout + std::chrono::milliseconds(100));
    return io.stopped();
  }

  void close() {
    if (!stream) return;
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
    stream.reset();
    origin.clear();
  }

  // Connects (and shakes hands) to t; an error message, or "" on success.
  std::string open(const Target& t, const ClientOptions& options) {
    close();
    if (t.tls && !trustLoaded) {  // loading the trust store costs milliseconds: once, only for https
      tls.set_default_verify_paths();
      if (!options.extraCaFile.empty()) {
        beast::error_code ec;
        tls.load_verify_file(options.extraCaFile, ec);
        if (ec) return "cannot read the CA file " + options.extraCaFile + ": " + ec.message();
      }
      tls.set_verify_mode(ssl::verify_peer);
      trustLoaded = true;
    }
    stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, tls);
    secure = t.tls;
    if (t.tls) {
      if (!SSL_set_tlsext_host_name(stream->native_handle(), t.host.c_str())) return "cannot set the TLS server name";
      stream->set_verify_callback(ssl::host_name_verification(t.host));
    }
    tcp::resolver resolver(io);
    beast::error_code failure;
    bool done = false;
    tcp().expires_after(options.timeout);
    resolver.async_resolve(t.host, t.port, [&](beast::error_code ec, tcp::resolver::results_type results) {
      if (ec) {
        failure = ec;
        return;
      }
      tcp().async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
        if (ec || !t.tls) {
          failure = ec;
          done = !ec;
          return;
        }
        stream->async_handshake(ssl::stream_base::client, [&](beast::error_code ec) {
          failure = ec;
          done = !ec;
        });
      });
    });
    run(options.timeout);
    if (!done) {
      std::string why = failure ? failure.message() : "timed out";
      close();
      return why;
    }
    origin = t.origin();
    return {};
  }

  // One request on the open connection; `answered` tells whether any response byte arrived.
  ClientResponse exchange(bhttp::request<bhttp::string_body>& req, const ClientOptions& options, bool& answered) {
    ClientResponse out;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.maxBytes);
    beast::error_code failure;
    buffer.clear();
    tcp().expires_after(options.timeout);
    auto onRead = [&](beast::error_code ec, size_t) {
      answered = parser.got_some();
      if (ec)
        failure = ec;
      else
        out.ok = true;
    };
    auto onWrite = [&](beast::error_code ec, size_t) {
      if (ec) {
        failure = ec;
        return;
      }
      if (secure)
        bhttp::async_read(*stream, buffer, parser, onRead);
      else
        bhttp::async_read(tcp(), buffer, parser, onRead);
    };
    if (secure)
      bhttp::async_write(*stream, req, onWrite);
    else
      bhttp::async_write(tcp(), req, onWrite);
    run(options.timeout);
    if (!out.ok) {
      out.error = failure ? failure.message() : "timed out";
      close();
      return out;
    }
    auto& msg = parser.get();
    out.status = static_cast<int>(msg.result_int());
    if (auto it = msg.find(bhttp::field::content_type); it != msg.end()) out.contentType = std::string(it->value());
    if (auto it = msg.find(bhttp::field::location); it != msg.end()) out.location = std::string(it->value());
    out.body = std::move(msg.body());
    if (!parser.keep_alive()) close();
    return out;
  }
};

Client::Client(ClientOptions options) : options_(std::move(options)), connection_(std::make_unique<Connection>()) {}

Client::~Client() { connection_->close(); }

ClientResponse Client::send(std::string_view method, const std::string& url, const std::string& body,
                            const ClientHeaders& headers) {
  ClientResponse fault;
  auto t = targetOf(url, fault.error);
  if (!t) return fault;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), t->resource, 11};
  req.set(bhttp::field::host, t->hostAndPort);
  req.set(bhttp::field::accept, "application/ld+json, application/json;q=0.9, */*;q=0.1");
  req.set(bhttp::field::user_agent, "allmende");
  for (const auto& [n, v] : headers) req.set(n, v);
  if (req.method() != bhttp::verb::get) {
    req.body() = body;
    req.prepare_payload();
  }
  auto& c = *connection_;
  bool reused = c.stream && c.origin == t->origin();
  if (!reused) {
    if (auto why = c.open(*t, options_); !why.empty()) {
      fault.error = why;
      return fault;
    }
  }
  bool answered = false;
  auto res = c.exchange(req, options_, answered);
  if (res.ok || !reused || answered) return res;
  // The server had closed the kept connection: once more on a new one.
  if (auto why = c.open(*t, options_); !why.empty()) {
    fault.error = why;
    return fault;
  }
  return c.exchange(req, options_, answered);
}

ClientResponse get(const std::string& url, const ClientOptions& options, const ClientHeaders& headers) {
  Client client(options);
  std::string current = url;
  for (int hop = 0; hop < 4; ++hop) {
    auto res = client.send("GET", current, {}, headers);
    if (!res.ok || res.status < 300 || res.status >= 400 || res.location.empty()) return res;
    current = res.location;
  }
  ClientResponse tooMany;
  tooMany.error = "too many redirects";
  return tooMany;
}

}  // namespace allmende::http
