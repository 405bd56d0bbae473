// Fuzz target for the HTTP request path: the input is the bytes a client sends
// on one connection. They are parsed by Beast with the limits the server sets
// (http/server.cpp), turned into Requests the way the server does, and
// answered by api::dispatch with every route over a fresh broker per input (an
// embedded store in a new directory, @context registry, subscriptions,
// registrations; an answer that waits for registered sources is followed), so
// that a crash found here reproduces from its input alone. Requests follow
// one another while the connection stays open (at most kMaxRequests).
// Besides crashes, a response fails the run if it is a 500 (the broker met
// something it did not expect), has a status outside 100-599, a header a
// client would misread (CR, LF or NUL in it), or a JSON Content-Type with a
// body that is not JSON. Runs without network (offline.h).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "api/routes.h"
#include "auth/api_keys.h"
#include "auth/policy.h"
#include "federation/forwarder.h"
#include "federation/registration_subscriptions.h"
#include "federation/registry.h"
#include "federation/remote_subscriptions.h"
#include "http/request_metrics.h"
#include "http/server.h"
#include "jsonld/context_registry.h"
#include "ngsi/entity.h"
#include "ngsi/write_path.h"
#include "offline.h"
#include "snapshots/registry.h"
#include "store/embedded/rocks_store.h"
#include "subscriptions/manager.h"

namespace {

namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace allmende;

constexpr int kMaxRequests = 16;

fs::path baseDirectory;

void check(bool ok, const char* what, const http::Response& res) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_http: %s (status %d)\n%s\n", what, res.status, res.body.c_str());
  std::abort();
}

// The layers main.cpp wires, over a store in `directory`; notifications fail fast.
struct Broker {
  explicit Broker(const fs::path& directory)
      : store(store::openEmbeddedStore({directory.string(), false, 1u << 20}, ngsi::entityMeta)),
        writes(*store),
        contexts(registryOptions(), {[this](const jsonld::ContextEntry& e) {
                                       store->putContext({e.localId, jsonld::serializeEntry(e)});
                                     },
                                     [this](const std::string& id) { store->deleteContext(id); }}),
        subscriptions(*store, contexts, io, deliveryOptions()),
        entityMaps(*store),
        snapshots(*store),
        registrations(*store),
        registrationSubscriptions(*store, contexts, registrations, subscriptions),
        forwarder(io, forwarderOptions()),
        remoteCopies(*store),
        apiKeys(*store),
        policy(*store),
        services{*store,
                 writes,
                 contexts,
                 subscriptions,
                 registrations,
                 registrationSubscriptions,
                 forwarder,
                 remoteCopies,
                 entityMaps,
                 snapshots,
                 {"urn:ngsi-ld:ContextSource:fuzz", "allmende-fuzz", "", "0", "fuzz", 0},
                 {},
                 requestMetrics,
                 [this] { return subscriptions.deliveryStats(); },
                 apiKeys,
                 policy} {
    store->watch({[this](std::string_view tenant, const store::Store::Change& change,
                         const std::string* only) { subscriptions.onChange(tenant, change, only); },
                  {},
                  {}});
    api::registerRoutes(router, services);
  }
  ~Broker() { store->watch({}); }

  static subscriptions::DeliveryOptions deliveryOptions() {
    subscriptions::DeliveryOptions options;
    options.timeout = std::chrono::milliseconds(500);
    options.maxRetries = 0;
    options.grace = std::chrono::milliseconds(0);
    return options;
  }

  static http::ClientOptions forwarderOptions() {
    http::ClientOptions options;
    options.timeout = std::chrono::milliseconds(500);
    return options;
  }

  static jsonld::RegistryOptions registryOptions() {
    jsonld::RegistryOptions options;
    options.fetch.timeout = std::chrono::milliseconds(500);
    return options;
  }

  // An answer that waits for registered sources (Response::later): the event
  // loop runs here until it comes (the sources fail at once: no network).
  http::Response finish(http::Response pending) {
    std::optional<http::Response> done;
    pending.later([&done](http::Response res) { done = std::move(res); });
    io.restart();
    while (!done && io.run_one_for(std::chrono::seconds(10)) > 0) {
    }
    check(done.has_value(), "an answer that waits for sources never came", pending);
    return std::move(*done);
  }

  // The event loop, run only to follow an answer that waits for sources: other
  // notifications made are dropped when the broker goes.
  boost::asio::io_context io;
  std::unique_ptr<store::Store> store;
  ngsi::WritePath writes;
  jsonld::ContextRegistry contexts;
  subscriptions::Manager subscriptions;
  api::EntityMapRegistry entityMaps;
  snapshots::Registry snapshots;
  federation::Registry registrations;
  federation::RegistrationSubscriptions registrationSubscriptions;
  federation::Forwarder forwarder;
  federation::RemoteCopies remoteCopies;
  auth::ApiKeys apiKeys;
  auth::Policy policy;
  http::RequestMetrics requestMetrics;
  api::Services services;
  http::Router router;
};

// One request off the front of `rest`, parsed with the server's limits, or
// nullopt when the bytes do not hold a whole valid request (the server would
// answer 400 or wait, then close).
std::optional<bhttp::request<bhttp::string_body>> nextRequest(std::string_view& rest) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(http::ServerOptions{}.maxBodyBytes);
  parser.header_limit(64 * 1024);
  boost::beast::error_code ec;
  while (!parser.is_done() && !rest.empty()) {
    size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    rest.remove_prefix(used);
    if (ec && ec != bhttp::error::need_more) return std::nullopt;
    if (ec && used == 0) return std::nullopt;  // the rest is not a whole request
  }
  if (!parser.is_done()) return std::nullopt;
  return parser.release();
}

// As Session::onBody in http/server.cpp builds it.
std::optional<http::Request> toRequest(bhttp::request<bhttp::string_body>& msg) {
  http::Request req;
  req.method = std::string(msg.method_string());
  if (!http::parseTarget(msg.target(), req.path, req.query)) return std::nullopt;
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  req.body = std::move(msg.body());
  return req;
}

void checkResponse(const http::Response& res) {
  check(res.status != 500, "internal error", res);
  check(res.status >= 100 && res.status <= 599, "status out of range", res);
  bool jsonBody = false;
  for (const auto& [name, value] : res.headers) {
    check((name + value).find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos,
          "CR, LF or NUL in a response header", res);
    if (name == "Content-Type") jsonBody = value.find("json") != std::string::npos;
  }
  if (jsonBody && !res.body.empty()) {
    json::error_code ec;
    json::parse(res.body, ec);
    check(!ec, "a JSON response whose body is not JSON", res);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::goOffline();
  spdlog::set_level(spdlog::level::err);  // 500s say why; the rest stays quiet
  std::string dir = (fs::temp_directory_path() / "allmende-fuzz-http-XXXXXX").string();
  if (!mkdtemp(dir.data())) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  baseDirectory = dir;
  std::atexit([] { fs::remove_all(baseDirectory); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  auto directory = baseDirectory / "store";
  fs::remove_all(directory);
  {
    Broker broker(directory);
    for (int n = 0; n < kMaxRequests; ++n) {
      auto msg = nextRequest(rest);
      if (!msg) break;
      auto req = toRequest(*msg);
      if (!req) break;  // the server answers 400 and closes
      auto res = api::dispatch(broker.router, *req);
      if (res.later) res = broker.finish(std::move(res));
      checkResponse(res);
      if (!msg->keep_alive()) break;
    }
  }
  return 0;
}
