// The notification receiver for bench/run: listens on PORTS consecutive ports
// from FIRST_PORT and answers every POST with 204 at once; the next HANGING
// ports accept connections (the kernel's backlog does) and never answer. For
// each notified entity it takes the latency from the entity's modifiedAt (the
// broker acknowledged the write right after it) to the notification's
// arrival. On SIGTERM/SIGINT it prints one JSON line: requests, entities, and
// latency percentiles in milliseconds.
//   bench_notify_sink FIRST_PORT PORTS [HANGING]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Totals {
  uint64_t requests = 0;
  uint64_t entities = 0;
  std::vector<int64_t> latenciesMs;
};

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-12-06T04:30:00.123Z" -> ms since the epoch; 0 if it does not parse.
int64_t parseMs(std::string_view s) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(std::string(s).c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &ms) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

void record(Totals& totals, const std::string& body) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object()) return;
  auto arrived = nowMs();
  auto* data = doc.as_object().if_contains("data");
  if (!data || !data->is_array()) return;
  for (const auto& e : data->as_array()) {
    totals.entities++;
    if (const auto* m = e.is_object() ? e.as_object().if_contains("modifiedAt") : nullptr; m && m->is_string())
      if (auto at = parseMs(m->as_string())) totals.latenciesMs.push_back(arrived - at);
  }
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Totals& totals) : stream_(std::move(socket)), totals_(totals) {}
  void read() {
    request_ = {};
    bhttp::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;
      self->totals_.requests++;
      record(self->totals_, self->request_.body());
      self->response_ = {bhttp::status::no_content, 11};
      self->response_.keep_alive(self->request_.keep_alive());
      bhttp::async_write(self->stream_, self->response_, [self](beast::error_code ec, size_t) {
        if (!ec) self->read();
      });
    });
  }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> request_;
  bhttp::response<bhttp::empty_body> response_;
  Totals& totals_;
};

void accept(tcp::acceptor& acceptor, Totals& totals) {
  acceptor.async_accept([&acceptor, &totals](beast::error_code ec, tcp::socket socket) {
    if (ec) return;
    std::make_shared<Session>(std::move(socket), totals)->read();
    accept(acceptor, totals);
  });
}

int64_t percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return -1;
  auto i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: bench_notify_sink FIRST_PORT PORTS [HANGING]\n";
    return 2;
  }
  int first = std::atoi(argv[1]), ports = std::atoi(argv[2]), hanging = argc > 3 ? std::atoi(argv[3]) : 0;
  asio::io_context io;
  Totals totals;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  for (int i = 0; i < ports + hanging; ++i) {
    auto a = std::make_unique<tcp::acceptor>(io);
    tcp::endpoint at(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(first + i));
    a->open(at.protocol());
    a->set_option(asio::socket_base::reuse_address(true));
    a->bind(at);
    a->listen(1024);
    if (i < ports) accept(*a, totals);  // the hanging ones are never accepted from
    acceptors.push_back(std::move(a));
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](beast::error_code, int) { io.stop(); });
  std::cerr << "listening\n";
  io.run();
  auto& l = totals.latenciesMs;
  std::cout << "{\"requests\":" << totals.requests << ",\"entities\":" << totals.entities
            << ",\"latencies\":" << l.size() << ",\"p50\":" << percentile(l, 50) << ",\"p99\":" << percentile(l, 99)
            << ",\"max\":" << (l.empty() ? -1 : *std::max_element(l.begin(), l.end())) << "}" << std::endl;
  return 0;
}
