// Beast/Asio implementation of Server. Each accepted connection becomes a
// Session living on its own strand: read header (idle timeout), check it
// (Host, Content-Length), read body (header timeout, body limit), call the
// handler, write, repeat while keep-alive. A request answered before it was
// read to its end (411, 413, broken HTTP) closes its connection lingering, so
// that the answer reaches the client. Drain: stop accepting, close idle
// sessions, wait for in-flight requests up to drainTimeout, then stop the
// io_context and close what is left. With TLS, a session first completes the
// handshake (within the header timeout) and then does the same over the TLS
// stream; SIGHUP reads the certificate and key again for new connections.
#include "http/server.h"

#include <array>
#include <atomic>
#include <concepts>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include "common/machine.h"
#include "http/request_metrics.h"
#include "http/server_tls.h"

namespace allmende::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// What the server needs of a session, whatever its stream (plain or TLS).
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void closeIfIdle() = 0;
  virtual void closeNow() = 0;
};

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  ProblemFactory problem;
  RequestMetrics& metrics;
  asio::io_context& io;
  tcp::acceptor acceptor{io};
  asio::signal_set signals{io, SIGINT, SIGTERM};
  asio::signal_set reloads{io, SIGHUP};
  std::mutex tlsMutex;
  std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP
  asio::steady_timer drainTimer{io};
  std::atomic<bool> draining{false};
  std::atomic<int> inFlight{0};
  std::mutex sessionsMutex;
  std::list<std::weak_ptr<SessionBase>> sessions;
  std::chrono::steady_clock::time_point drainDeadline;

  Impl(asio::io_context& io, ServerOptions o, Handler h, ProblemFactory p, RequestMetrics& m)
      : options(std::move(o)), handler(std::move(h)), problem(std::move(p)), metrics(m), io(io) {}

  void accept();
  void awaitReload();
  void beginDrain();
  void checkDrained();
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(tcp::socket socket, Server::Impl& server) requires std::same_as<Stream, beast::tcp_stream>
      : stream_(std::move(socket)), server_(server) {}
  Session(tcp::socket socket, Server::Impl& server, std::shared_ptr<asio::ssl::context> tls)
      requires std::same_as<Stream, TlsStream>
      : tls_(std::move(tls)), stream_(std::move(socket), *tls_), server_(server) {}

  void start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (std::same_as<Stream, TlsStream>) {
        self->lowest().expires_after(self->server_.options.headerTimeout);
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->close();  // not TLS, or no common version or cipher
          self->readHeader();
        });
      } else {
        self->readHeader();
      }
    });
  }

  // Called on drain: a session waiting for a new request is closed now.
  void closeIfIdle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) self->close();
    });
  }

  // Called when no thread runs the loop any more: what the session waits for ends with an error.
  void closeNow() override { close(); }

 private:
  // What a connection does once its response is written: read the next
  // request (keep-alive), close, or close lingering (see lingeringClose).
  enum class Next { Request, Close, Linger };

  void readHeader() {
    if (server_.draining) return close();
    if (buffer_.capacity() > kLargeRead) buffer_.shrink_to_fit();  // an idle connection keeps little
    parser_.emplace();
    parser_->body_limit(server_.options.maxBodyBytes);
    parser_->header_limit(64 * 1024);
    idle_ = true;
    lowest().expires_after(server_.options.idleTimeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               self->idle_ = false;
                               self->onHeader(ec);
                             });
  }

  void onHeader(beast::error_code ec) {
    if (ec) return onReadError(ec);
    server_.inFlight++;
    counted_ = true;
    started_ = std::chrono::steady_clock::now();
    const auto& msg = parser_->get();
    if (msg.version() >= 11 && msg.count(bhttp::field::host) != 1)
      return sendProblem(
          400, "an HTTP/1.1 request must have exactly one Host header (RFC 9112, section 3.2)");
    auto method = msg.method();
    if ((method == bhttp::verb::post || method == bhttp::verb::put ||
         method == bhttp::verb::patch) &&
        !parser_->content_length()) {
      // Length Required, bare (conformance 046_01), before any body is read: a
      // chunked body is refused unread, so the connection cannot be used again.
      Response res;
      res.status = 411;
      server_.metrics.record(RequestMetrics::kUnrouted, msg.method_string(), res.status,
                             std::chrono::steady_clock::now() - started_);
      if (parser_->chunked()) return write(std::move(res), Next::Linger);
      return write(std::move(res), msg.keep_alive() ? Next::Request : Next::Close);
    }
    // A large body is read in large pieces: Beast reads at most what the
    // buffer has room for (at least 512 bytes), one asynchronous read each.
    if (parser_->content_length().value_or(0) > kLargeRead) buffer_.reserve(kLargeRead);
    lowest().expires_after(server_.options.headerTimeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        self->onBody(ec);
                      });
  }

  void onReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      sendProblem(413, "The request body exceeds the limit of " +
                           std::to_string(server_.options.maxBodyBytes) + " bytes");
      return;
    }
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof || !buffer_.size())
      return close();
    sendProblem(400, "Malformed HTTP request: " + ec.message());
  }

  void onBody(beast::error_code ec) {
    if (ec) return onReadError(ec);
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    if (!parseTarget(msg.target(), req.path, req.query)) {
      sendProblem(400, "The query string is not correctly percent-encoded");
      return;
    }
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    Next next = msg.keep_alive() ? Next::Request : Next::Close;
    Response res;
    try {
      res = server_.handler(req);
      if (res.later) return answerLater(std::move(res.later), req.family, std::move(req.method), next);
    } catch (const std::exception& e) {
      spdlog::error("unhandled exception in handler: {}", e.what());
      res = server_.problem(500, "Internal error");
    }
    answer(std::move(res), req.family, req.method, next);
  }

  void answer(Response res, uint16_t family, std::string_view method, Next next) {
    server_.metrics.record(family, method, res.status, std::chrono::steady_clock::now() - started_);
    write(std::move(res), next);
  }

  // A response that comes later (Response::later): written on this session's strand when it is there.
  void answerLater(std::function<void(Response::Finish)> later, uint16_t family, std::string method, Next next) {
    auto finish = [self = this->shared_from_this(), family, method, next](Response res) {
      asio::post(self->stream_.get_executor(), [self, res = std::move(res), family, method, next]() mutable {
        self->answer(std::move(res), family, method, next);
      });
    };
    try {
      later(std::move(finish));
    } catch (const std::exception& e) {
      spdlog::error("unhandled exception in handler: {}", e.what());
      answer(server_.problem(500, "Internal error"), family, method, next);
    }
  }

  // Answers a request that was not (or not wholly) read, and closes.
  void sendProblem(int status, const std::string& detail) {
    if (!counted_) {
      server_.inFlight++;
      counted_ = true;
      started_ = std::chrono::steady_clock::now();
    }
    server_.metrics.record(RequestMetrics::kUnrouted, parser_->get().method_string(), status,
                           std::chrono::steady_clock::now() - started_);
    write(server_.problem(status, detail), Next::Linger);
  }

  // HTTP clients (Beast's among them) refuse a header field of more than
  // 65,533 bytes: the handlers keep theirs far below (ids are bounded), and a
  // response that would still break the limit becomes a 500.
  static constexpr size_t kMaxFieldBytes = 65533;

  void write(Response res, Next next) {
    for (const auto& [name, value] : res.headers) {
      if (name.size() <= kMaxFieldBytes && value.size() <= kMaxFieldBytes) continue;
      spdlog::error("response header {} of {} bytes is too large for HTTP; answering 500",
                    name.substr(0, 64), value.size());
      res = server_.problem(500, "the response would carry a header field (" + name.substr(0, 64) +
                                     ") of " + std::to_string(value.size()) +
                                     " bytes, more than HTTP/1.1 allows");
      break;
    }
    if (next == Next::Request && server_.draining) next = Next::Close;
    // The status line and fields in one string, the body as it is: two buffers, one send.
    auto out = std::make_shared<std::pair<std::string, std::string>>(head(res, next == Next::Request),
                                                                     std::move(res.body));
    lowest().expires_after(server_.options.headerTimeout);
    asio::async_write(stream_, std::array{asio::buffer(out->first), asio::buffer(out->second)},
                      [self = this->shared_from_this(), out, next](beast::error_code ec, size_t) {
                        self->finishRequest();
                        if (ec || next == Next::Close) return self->close();
                        if (next == Next::Linger) return self->lingeringClose();
                        self->readHeader();
                      });
  }

  // An HTTP/1.1 response head: status line, the fields (a CR or LF inside one
  // becomes a space: no field can end the head early), Content-Length (not for
  // 204 and 304), "Connection: close" unless the connection is kept. Written
  // here: Beast's serializer cost more than a small request's own work.
  static std::string head(const Response& res, bool keepAlive) {
    std::string out;
    out.reserve(256);
    out += "HTTP/1.1 ";
    out += std::to_string(res.status);
    out += ' ';
    out += bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
    out += "\r\n";
    auto text = [&out](std::string_view s) {
      for (char c : s) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
    };
    for (const auto& [name, value] : res.headers) {
      text(name);
      out += ": ";
      text(value);
      out += "\r\n";
    }
    if (res.status != 204 && res.status != 304) {
      out += "Content-Length: ";
      out += std::to_string(res.body.size());
      out += "\r\n";
    }
    if (!keepAlive) out += "Connection: close\r\n";
    out += "\r\n";
    return out;
  }

  // Closing a socket with unread data makes the kernel send a reset, which
  // may destroy the response before the client read it. So: stop sending,
  // then read and drop what the client still sends (nothing is kept; at most
  // the body limit, for at most a second) before closing (RFC 9112, 9.6).
  void lingeringClose() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(std::chrono::seconds(1));
    dropInput(0);
  }

  void dropInput(size_t dropped) {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kLargeRead),
                            [self = this->shared_from_this(), dropped](beast::error_code ec, size_t n) {
                              if (ec || dropped + n > self->server_.options.maxBodyBytes)
                                return self->close();
                              self->dropInput(dropped + n);
                            });
  }

  void finishRequest() {
    if (counted_) {
      server_.inFlight--;
      counted_ = false;
    }
  }

  void close() {
    finishRequest();
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().socket().close(ignored);
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  std::shared_ptr<asio::ssl::context> tls_;  // kept while the session uses it (a reload makes a new one)
  Stream stream_;
  static constexpr size_t kLargeRead = 64 * 1024;  // the most Beast reads at once
  beast::flat_buffer buffer_;
  Server::Impl& server_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool idle_ = false;
  bool counted_ = false;
  std::chrono::steady_clock::time_point started_;  // when the request's header was complete
};

void Server::Impl::accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || draining) return;
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::shared_ptr<asio::ssl::context> context;
      {
        std::lock_guard lock(tlsMutex);
        context = tls;
      }
      std::shared_ptr<SessionBase> session;
      if (context) {
        auto s = std::make_shared<Session<TlsStream>>(std::move(socket), *this, std::move(context));
        s->start();
        session = std::move(s);
      } else {
        auto s = std::make_shared<Session<beast::tcp_stream>>(std::move(socket), *this);
        s->start();
        session = std::move(s);
      }
      std::lock_guard lock(sessionsMutex);
      sessions.remove_if([](const auto& w) { return w.expired(); });
      sessions.push_back(session);
    }
    if (!draining) accept();
  });
}

// SIGHUP: the certificate and key are read again; new connections use them
// (open ones keep theirs). Files that cannot be used keep the previous ones.
void Server::Impl::awaitReload() {
  reloads.async_wait([this](beast::error_code ec, int) {
    if (ec) return;
    if (options.tlsCert.empty()) {
      spdlog::info("SIGHUP: no TLS certificate to reload");
    } else {
      try {
        auto fresh = serverTlsContext(options.tlsCert, options.tlsKey);
        std::lock_guard lock(tlsMutex);
        tls = std::move(fresh);
        spdlog::info("SIGHUP: TLS certificate {} reloaded", options.tlsCert);
      } catch (const std::exception& e) {
        spdlog::error("SIGHUP: keeping the previous TLS certificate: {}", e.what());
      }
    }
    awaitReload();
  });
}

void Server::Impl::beginDrain() {
  if (draining.exchange(true)) return;
  spdlog::info("draining: no new connections, finishing in-flight requests");
  beast::error_code ignored;
  acceptor.close(ignored);
  signals.cancel(ignored);
  reloads.cancel(ignored);
  {
    std::lock_guard lock(sessionsMutex);
    for (auto& w : sessions)
      if (auto s = w.lock()) s->closeIfIdle();
  }
  drainDeadline = std::chrono::steady_clock::now() + options.drainTimeout;
  checkDrained();
}

void Server::Impl::checkDrained() {
  bool anyAlive;
  {
    std::lock_guard lock(sessionsMutex);
    sessions.remove_if([](const auto& w) { return w.expired(); });
    anyAlive = !sessions.empty();
  }
  if ((!anyAlive && inFlight == 0) || std::chrono::steady_clock::now() >= drainDeadline) {
    if (inFlight > 0) spdlog::warn("drain timeout: {} requests still in flight", inFlight.load());
    io.stop();
    return;
  }
  if (!anyAlive || inFlight == 0) {
    // Sessions without a request in flight are idle or writing: close the idle ones again
    // (a session may have turned idle after the first sweep).
    std::lock_guard lock(sessionsMutex);
    for (auto& w : sessions)
      if (auto s = w.lock()) s->closeIfIdle();
  }
  drainTimer.expires_after(std::chrono::milliseconds(20));
  drainTimer.async_wait([this](beast::error_code) { checkDrained(); });
}

Server::Server(asio::io_context& io, ServerOptions options, Handler handler, ProblemFactory problem,
               RequestMetrics& metrics)
    : impl_(std::make_unique<Impl>(io, std::move(options), std::move(handler), std::move(problem),
                                   metrics)) {}

Server::~Server() = default;

uint16_t Server::bind() {
  auto& i = *impl_;
  if (!i.options.tlsCert.empty()) i.tls = serverTlsContext(i.options.tlsCert, i.options.tlsKey);
  beast::error_code ec;
  auto address = asio::ip::make_address(i.options.listen, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + i.options.listen + "'");
  tcp::endpoint endpoint(address, i.options.port);
  i.acceptor.open(endpoint.protocol(), ec);
  if (!ec) i.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) i.acceptor.bind(endpoint, ec);
  if (!ec) i.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + i.options.listen + ":" +
                             std::to_string(i.options.port) + ": " + ec.message());
  return i.acceptor.local_endpoint().port();
}

void Server::run() {
  auto& i = *impl_;
  i.signals.async_wait([&i](beast::error_code ec, int) {
    if (!ec) i.beginDrain();
  });
  i.awaitReload();
  i.accept();
  int n = i.options.threads > 0 ? i.options.threads : static_cast<int>(usableCores());
  std::vector<std::thread> threads;
  for (int t = 1; t < n; ++t) threads.emplace_back([&i] { i.io.run(); });
  i.io.run();
  for (auto& t : threads) t.join();
  // No thread runs the loop now: sessions can be closed from here.
  std::lock_guard lock(i.sessionsMutex);
  for (auto& w : i.sessions)
    if (auto s = w.lock()) s->closeNow();
}

void Server::stop() {
  asio::post(impl_->io, [this] { impl_->beginDrain(); });
}

}  // namespace allmende::http
