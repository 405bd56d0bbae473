// The forwarder's connection pools and the gathering of one operation's answers.
#include "federation/forwarder.h"

#include <map>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace allmende::federation {

namespace asio = boost::asio;

namespace {

constexpr size_t kIdlePerOrigin = 64;  // kept-open connections per origin and timeout (see the header)

// "scheme://host:port" of a URL (the pool a connection belongs to).
std::string originOf(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  auto end = url.find('/', scheme + 3);
  return url.substr(0, end);
}

}  // namespace

struct Forwarder::State : std::enable_shared_from_this<Forwarder::State> {
  State(asio::io_context& io, http::ClientOptions o)
      : io(io), strand(asio::make_strand(io)), defaults(std::move(o)) {}

  asio::io_context& io;
  asio::any_io_executor strand;
  http::ClientOptions defaults;
  bool stopped = false;
  // Idle connections by origin and timeout (a client's timeout is fixed when it is made).
  std::map<std::string, std::vector<std::shared_ptr<http::AsyncClient>>> idle;

  std::shared_ptr<http::AsyncClient> take(const std::string& key,
                                          std::chrono::milliseconds timeout) {
    auto& pool = idle[key];
    if (!pool.empty()) {
      auto client = std::move(pool.back());
      pool.pop_back();
      return client;
    }
    auto options = defaults;
    options.timeout = timeout;
    return std::make_shared<http::AsyncClient>(strand, options);
  }

  void giveBack(const std::string& key, std::shared_ptr<http::AsyncClient> client, bool healthy) {
    auto& pool = idle[key];
    if (!stopped && healthy && pool.size() < kIdlePerOrigin) pool.push_back(std::move(client));
  }
};

Forwarder::Forwarder(asio::io_context& io, http::ClientOptions defaults)
    : state_(std::make_shared<State>(io, std::move(defaults))) {}

Forwarder::~Forwarder() {
  // Idle connections close on the strand; exchanges in flight end with their timeout.
  asio::post(state_->strand, [state = state_] {
    state->stopped = true;
    state->idle.clear();
  });
}

void Forwarder::send(std::vector<ForwardRequest> requests,
                     std::function<void(std::vector<http::ClientResponse>)> done) {
  asio::post(state_->strand, [state = state_, requests = std::move(requests),
                              done = std::move(done)]() mutable {
    struct Gather {
      std::vector<http::ClientResponse> answers;
      size_t open = 0;
      std::function<void(std::vector<http::ClientResponse>)> done;
    };
    auto gather = std::make_shared<Gather>();
    gather->answers.resize(requests.size());
    gather->open = requests.size();
    gather->done = [&io = state->io,
                    done = std::move(done)](std::vector<http::ClientResponse> answers) {
      asio::post(io, [done, answers = std::move(answers)]() mutable { done(std::move(answers)); });
    };
    if (requests.empty()) return gather->done({});
    for (size_t i = 0; i < requests.size(); ++i) {
      auto& r = requests[i];
      std::string key = originOf(r.url) + " " + std::to_string(r.timeout.count());
      auto client = state->take(key, r.timeout);
      client->send(r.method, r.url, std::move(r.body), r.headers,
                   [state, gather, client, key, i](http::ClientResponse response) mutable {
                     bool healthy = response.ok;
                     gather->answers[i] = std::move(response);
                     // Back to the pool once this callback is over (not inside it).
                     asio::post(state->strand,
                                [state, client = std::move(client), key, healthy]() mutable {
                                  state->giveBack(key, std::move(client), healthy);
                                });
                     if (--gather->open == 0) gather->done(std::move(gather->answers));
                   });
    }
  });
}

}  // namespace allmende::federation
