// Beast's asynchronous operations chained per exchange: resolve, connect, TLS
// handshake (https), write, read. One deadline timer bounds the whole
// exchange; when it fires, the socket is closed and the pending operation
// ends with an error. Handlers hold the State (shared), so a client destroyed
// while an operation is in flight leaves nothing dangling.
#include "http/async_client.h"

#include <map>
#include <mutex>
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
  if (t.host.size() > 2 && t.host.front() == '[' && t.host.back() == ']') t.host = t.host.substr(1, t.host.size() - 2);
  t.port = parsed->has_port() ? std::string(parsed->port()) : t.tls ? "443" : "80";
  t.hostAndPort = std::string(parsed->encoded_host_and_port());
  t.resource = std::string(parsed->encoded_resource());
  if (t.resource.empty()) t.resource = "/";
  return t;
}

// The TLS settings for one extra CA file, loaded once per process (loading the
// trust store costs milliseconds) and shared by every connection.
std::shared_ptr<ssl::context> tlsContext(const std::string& extraCaFile, std::string& error) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<ssl::context>> contexts;
  std::lock_guard lock(mutex);
  auto& ctx = contexts[extraCaFile];
  if (ctx) return ctx;
  auto fresh = std::make_shared<ssl::context>(ssl::context::tls_client);
  fresh->set_default_verify_paths();
  if (!extraCaFile.empty()) {
    beast::error_code ec;
    fresh->load_verify_file(extraCaFile, ec);
    if (ec) {
      error = "cannot read the CA file " + extraCaFile + ": " + ec.message();
      contexts.erase(extraCaFile);
      return nullptr;
    }
  }
  fresh->set_verify_mode(ssl::verify_peer);
  return ctx = fresh;
}

}  // namespace

struct AsyncClient::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor ex, ClientOptions o)
      : executor(std::move(ex)), options(std::move(o)), resolver(executor), deadline(executor) {}

  asio::any_io_executor executor;
  ClientOptions options;
  tcp::resolver resolver;
  asio::steady_timer deadline;
  std::shared_ptr<ssl::context> tls;
  // The open connection: plain for http, TLS over TCP for https (its buffers,
  // about 34 KB, only where they are needed).
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  bool secure = false;
  std::string origin;  // of the open connection
  beast::flat_buffer buffer;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  bhttp::request<bhttp::string_body> req;
  Target target;  // of url
  std::string url;
  Callback done;           // set while an exchange is under way
  uint64_t generation = 0;  // of the exchange; handlers of an earlier one are ignored
  bool reused = false;      // the exchange runs on a kept connection
  bool timedOut = false;

  bool hasConnection() const { return plain || stream; }
  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*stream); }

  // A handler's guard: false once its exchange has ended.
  bool current(uint64_t gen) const { return done && gen == generation; }

  void closeStream() {
    if (!hasConnection()) return;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
    plain.reset();
    stream.reset();
    origin.clear();
  }

  void start(std::string error) {
    auto self = shared_from_this();
    if (!error.empty()) {  // never inside send(): the caller may hold locks or iterators
      asio::post(executor, [self, gen = generation, error] { self->fail(gen, error, false); });
      return;
    }
    deadline.expires_after(options.timeout);
    deadline.async_wait([self, gen = generation](beast::error_code ec) {
      if (ec || !self->current(gen)) return;
      self->timedOut = true;
      self->resolver.cancel();
      // The pending operation ends with an error.
      if (self->hasConnection()) self->lowest().close();
    });
    if (hasConnection() && origin == target.origin()) {
      reused = true;
      exchange(generation);
    } else {
      reused = false;
      open(generation);
    }
  }

  void open(uint64_t gen) {
    closeStream();
    if (target.tls && !tls) {
      std::string error;
      tls = tlsContext(options.extraCaFile, error);
      if (!tls) return fail(gen, error, false);
    }
    secure = target.tls;
    if (!secure) {
      plain = std::make_unique<beast::tcp_stream>(executor);
    } else {
      stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, *tls);
      if (!SSL_set_tlsext_host_name(stream->native_handle(), target.host.c_str()))
        return fail(gen, "cannot set the TLS server name", false);
      stream->set_verify_callback(ssl::host_name_verification(target.host));
    }
    auto self = shared_from_this();
    resolver.async_resolve(target.host, target.port, [self, gen](beast::error_code ec, tcp::resolver::results_type r) {
      if (!self->current(gen)) return;
      if (ec) return self->fail(gen, ec.message(), false);
      self->lowest().async_connect(r, [self, gen](beast::error_code ec, const tcp::endpoint&) {
        if (!self->current(gen)) return;
        if (ec) return self->fail(gen, ec.message(), false);
        if (!self->secure) return self->connected(gen);
        self->stream->async_handshake(ssl::stream_base::client, [self, gen](beast::error_code ec) {
          if (!self->current(gen)) return;
          if (ec) return self->fail(gen, ec.message(), false);
          self->connected(gen);
        });
      });
    });
  }

  void connected(uint64_t gen) {
    origin = target.origin();
    exchange(gen);
  }

  void exchange(uint64_t gen) {
    parser.emplace();
    parser->body_limit(options.maxBytes);
    buffer.clear();
    auto self = shared_from_this();
    auto onRead = [self, gen](beast::error_code ec, size_t) {
      if (!self->current(gen)) return;
      if (ec) return self->exchangeFailed(gen, ec, self->parser->got_some());
      self->complete();
    };
    auto onWrite = [self, gen, onRead](beast::error_code ec, size_t) {
      if (!self->current(gen)) return;
      if (ec) return self->exchangeFailed(gen, ec, false);
      if (self->secure)
        bhttp::async_read(*self->stream, self->buffer, *self->parser, onRead);
      else
        bhttp::async_read(self->lowest(), self->buffer, *self->parser, onRead);
    };
    if (secure)
      bhttp::async_write(*stream, req, onWrite);
    else
      bhttp::async_write(lowest(), req, onWrite);
  }

  void exchangeFailed(uint64_t gen, beast::error_code ec, bool answered) {
    if (reused && !answered && !timedOut) {  // the server had closed the kept connection
      reused = false;
      return open(gen);
    }
    fail(gen, ec.message(), answered);
  }

  void fail(uint64_t gen, const std::string& why, bool answered) {
    if (!current(gen)) return;
    ClientResponse out;
    out.error = timedOut ? "timed out" : why;
    out.answered = answered;
    closeStream();
    finish(std::move(out));
  }

  void complete() {
    ClientResponse out;
    out.ok = out.answered = true;
    auto& msg = parser->get();
    out.status = static_cast<int>(msg.result_int());
    if (auto it = msg.find(bhttp::field::content_type); it != msg.end()) out.contentType = std::string(it->value());
    if (auto it = msg.find(bhttp::field::location); it != msg.end()) out.location = std::string(it->value());
    for (const auto& field : msg)
      if (boost::beast::iequals(field.name_string(), "NGSILD-Warning")) out.warnings.emplace_back(field.value());
    out.body = std::move(msg.body());
    if (!parser->keep_alive()) closeStream();
    finish(std::move(out));
  }

  void finish(ClientResponse out) {
    deadline.cancel();
    auto cb = std::move(done);
    done = nullptr;
    cb(std::move(out));
  }
};

AsyncClient::AsyncClient(asio::any_io_executor executor, ClientOptions options)
    : state_(std::make_shared<State>(std::move(executor), std::move(options))) {}

AsyncClient::~AsyncClient() {
  state_->done = nullptr;
  state_->resolver.cancel();
  state_->deadline.cancel();
  state_->closeStream();
}

bool AsyncClient::busy() const { return static_cast<bool>(state_->done); }

void AsyncClient::close() {
  if (!busy()) state_->closeStream();
}

void AsyncClient::send(std::string_view method, const std::string& url, std::string body,
                       const ClientHeaders& headers, Callback done) {
  auto& s = *state_;
  s.done = std::move(done);
  ++s.generation;
  s.timedOut = false;
  if (url != s.url) {  // a sender mostly posts to one URL: parsed once
    std::string error;
    auto t = targetOf(url, error);
    if (!t) return s.start(error);
    s.target = std::move(*t);
    s.url = url;
  }
  s.req = {bhttp::string_to_verb(method), s.target.resource, 11};
  s.req.set(bhttp::field::host, s.target.hostAndPort);
  s.req.set(bhttp::field::accept, "application/ld+json, application/json;q=0.9, */*;q=0.1");
  s.req.set(bhttp::field::user_agent, "allmende");
  try {
    for (const auto& [n, v] : headers) s.req.set(n, v);
  } catch (const std::exception& e) {  // a name or value Beast cannot carry
    return s.start(std::string("invalid request header: ") + e.what());
  }
  if (s.req.method() != bhttp::verb::get) {
    s.req.body() = std::move(body);
    s.req.prepare_payload();
  }
  s.start({});
}

}  // namespace allmende::http
