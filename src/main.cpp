// allmende: command line, configuration and wiring of the layers; nothing else.
//   allmende serve [--data DIR | --store postgresql://...] [--port N] [--listen ADDR] [options]
#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>

#include <openssl/rand.h>

#include "api/distributed_subscriptions.h"
#include "api/routes.h"
#include "auth/authenticator.h"
#include "auth/base64url.h"
#include "common/machine.h"
#include "federation/forwarder.h"
#include "federation/registration_subscriptions.h"
#include "federation/registry.h"
#include "federation/remote_subscriptions.h"
#include "http/request_metrics.h"
#include "http/server.h"
#include "jsonld/context_registry.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/expiry.h"
#include "ngsi/syntax.h"
#include "ngsi/write_path.h"
#include "store/embedded/rocks_store.h"
#include "store/postgres/postgres_store.h"
#include "subscriptions/manager.h"

#ifndef ALLMENDE_VERSION
#define ALLMENDE_VERSION "0.0.0"
#endif
#ifndef ALLMENDE_REVISION
#define ALLMENDE_REVISION "unknown"
#endif

namespace {

struct Config {
  std::string dataDir = "./data";
  std::string storeUrl;  // a PostgreSQL URL: the PostgreSQL store instead of the embedded one
  size_t storeConnections = 0;  // 0: two per I/O thread and four more
  std::string storeReplicaUrl;  // a streaming replica of the PostgreSQL database, for reads
  int64_t storeReplicaLagMs = 1000;
  std::string listen = "127.0.0.1";
  uint16_t port = 1026;
  int threads = 0;
  bool sync = false;
  size_t maxBodyBytes = 8 * 1024 * 1024;
  size_t blockCacheBytes = 256u << 20;
  size_t entityCacheBytes = allmende::usableMemoryBytes() / 8;
  int headerTimeoutMs = 30000;
  int idleTimeoutMs = 60000;
  int drainTimeoutMs = 10000;
  std::string publicUrl;
  size_t contextCacheSize = 256;
  int contextTimeoutMs = 5000;
  std::string contextCaFile;
  int expiryIntervalMs = 1000;
  int notificationTimeoutMs = 5000;
  size_t notificationConnections = 4;
  int notificationRetries = 5;
  int notificationBackoffMs = 500;
  size_t notificationQueueBytes = 16 * 1024 * 1024;
  size_t notificationMemory = 256 * 1024 * 1024;
  size_t notificationCoalesce = 8;
  int notificationGraceMs = 5000;
  size_t maxLimit = 1000;
  size_t maxBatch = 1000;
  size_t maxUriLength = 2048;
  size_t maxAttributes = 1000;
  size_t maxNesting = 32;
  std::string history = "on";
  size_t temporalLimit = 10000;
  int requestTimeLimitMs = 10000;  // 0 = none
  size_t maxResponseBytes = 64 * 1024 * 1024;
  std::string historyRetention;  // ISO 8601 duration; empty = keep all
  std::string audit = "off";
  std::string auditRetention;  // ISO 8601 duration; empty = keep all
  size_t maxSnapshotEntities = 100000;
  std::string logLevel = "info";
  std::string alias;  // empty: allmende-<the random part of the broker id>
  std::string authIssuer;  // empty: authentication off
  std::string authAudience;
  std::string authJwks;
  int authJwksRefreshS = 300;
  std::string authAdmin;  // the token sub of the broker-wide admin
  std::string authCaFile;  // trusted besides the system's for an https key set URL
  std::string tlsCert;  // with tlsKey: HTTPS on the listener
  std::string tlsKey;
};

int serve(const Config& cfg) {
  using namespace allmende;
  spdlog::set_level(spdlog::level::from_str(cfg.logLevel));
  ngsi::setMaxUriLength(cfg.maxUriLength);
  // The PostgreSQL store's round trips keep an I/O thread waiting: four per core then.
  int threads = cfg.threads > 0 ? cfg.threads
                                : static_cast<int>(allmende::usableCores()) * (cfg.storeUrl.empty() ? 1 : 4);
  int64_t historyRetentionMs = cfg.historyRetention.empty() ? 0 : *ngsi::parseDuration(cfg.historyRetention);
  int64_t auditRetentionMs = cfg.auditRetention.empty() ? 0 : *ngsi::parseDuration(cfg.auditRetention);
  std::unique_ptr<store::Store> store;
  if (cfg.storeUrl.empty()) {
    store = store::openEmbeddedStore({cfg.dataDir, cfg.sync, cfg.blockCacheBytes, cfg.entityCacheBytes,
                                      historyRetentionMs, auditRetentionMs},
                                     ngsi::entityMeta);
  } else {
    store = store::openPostgresStore(
        {cfg.storeUrl, cfg.storeConnections ? cfg.storeConnections : 2 * static_cast<size_t>(threads) + 4,
         cfg.storeReplicaUrl, cfg.storeReplicaLagMs,
         historyRetentionMs, auditRetentionMs},
        ngsi::entityMeta);
  }
  ngsi::WritePath writes(*store, cfg.maxAttributes, cfg.history == "on");

  jsonld::RegistryOptions registryOptions;
  registryOptions.publicBaseUrl =
      cfg.publicUrl.empty() ? (cfg.tlsCert.empty() ? "http://" : "https://") + cfg.listen + ":" + std::to_string(cfg.port)
                            : cfg.publicUrl;
  registryOptions.maxCachedContexts = cfg.contextCacheSize;
  registryOptions.fetch.timeout = std::chrono::milliseconds(cfg.contextTimeoutMs);
  registryOptions.fetch.extraCaFile = cfg.contextCaFile;
  jsonld::ContextRegistry contexts(
      registryOptions,
      {[&store](const jsonld::ContextEntry& e) { store->putContext({e.localId, jsonld::serializeEntry(e)}); },
       [&store](const std::string& id) { store->deleteContext(id); }});
  for (const auto& stored : store->contexts()) contexts.restore(jsonld::parseEntry(stored.document));

  auto brokerId = store->getSetting("brokerId");
  if (!brokerId)  // the first start (of any broker sharing the store)
    brokerId = store->putSetting("brokerId", "urn:ngsi-ld:ContextSource:allmende-" + std::to_string(ngsi::nowMs()) +
                                                 "-" + std::to_string(std::random_device{}()));
  std::string alias = cfg.alias.empty() ? "allmende-" + brokerId->substr(brokerId->rfind(':') + 1) : cfg.alias;
  subscriptions::DeliveryOptions delivery;
  delivery.timeout = std::chrono::milliseconds(cfg.notificationTimeoutMs);
  delivery.connectionsPerEndpoint = cfg.notificationConnections;
  delivery.maxRetries = cfg.notificationRetries;
  delivery.retryBase = std::chrono::milliseconds(cfg.notificationBackoffMs);
  delivery.queue.maxBytes = cfg.notificationQueueBytes;
  delivery.totalBytes = cfg.notificationMemory;
  delivery.queue.coalesceAt = cfg.notificationCoalesce;
  delivery.grace = std::chrono::milliseconds(cfg.notificationGraceMs);
  // The event loop that serves HTTP and delivers notifications.
  boost::asio::io_context io(threads);
  auto subs = std::make_unique<subscriptions::Manager>(*store, contexts, io, delivery);
  api::Limits limits;
  limits.maxLimit = cfg.maxLimit;
  limits.maxBatch = cfg.maxBatch;
  limits.maxNesting = cfg.maxNesting;
  limits.temporalInstances = cfg.temporalLimit;
  limits.snapshotEntities = cfg.maxSnapshotEntities;
  limits.requestTime = std::chrono::milliseconds(cfg.requestTimeLimitMs);
  limits.maxResponseBytes = cfg.maxResponseBytes;
  api::EntityMapRegistry entityMaps(*store);
  snapshots::Registry snapshots(*store);
  federation::Registry registrations(*store);
  auto registrationSubs =
      std::make_unique<federation::RegistrationSubscriptions>(*store, contexts, registrations, *subs);
  federation::Forwarder forwarder(io, http::ClientOptions{});
  federation::RemoteCopies remoteCopies(*store);
  http::RequestMetrics requestMetrics;
  auth::ApiKeys apiKeys(*store);
  auth::Policy policy(*store);
  std::unique_ptr<auth::Authenticator> authenticator;
  if (!cfg.authIssuer.empty()) {
    if (cfg.authJwks.empty()) throw std::runtime_error("--auth-issuer needs --auth-jwks (the issuer's key set)");
    auth::AuthOptions a;
    a.rules.issuer = cfg.authIssuer;
    a.rules.audience = cfg.authAudience;
    a.keys.location = cfg.authJwks;
    a.keys.refresh = std::chrono::seconds(cfg.authJwksRefreshS);
    a.keys.extraCaFile = cfg.authCaFile;
    a.admin = cfg.authAdmin;
    // The notification key: made once per data directory, as copies of subscriptions at
    // context sources keep it for as long as they live.
    auto notificationKey = store->getSetting("notificationKey");
    if (!notificationKey) {
      unsigned char raw[32];
      if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("no random bytes for the notification key");
      notificationKey = store->putSetting(
          "notificationKey",
          "ank_" + auth::base64UrlEncode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw)));
    }
    a.notificationKey = *notificationKey;
    a.notificationPaths = {std::string(api::kRegistrationNotify), std::string(api::kRemoteNotify)};
    authenticator = std::make_unique<auth::Authenticator>(std::move(a), apiKeys, policy);
    subs->setOwnerAccess([auth = authenticator.get()](std::string_view tenant, const http::Caller& owner) {
      return auth->access(&owner, tenant);
    });
  }
  api::Services services{*store, writes, contexts, *subs, registrations, *registrationSubs, forwarder, remoteCopies, entityMaps,
                         snapshots,
                         {*brokerId, alias, cfg.publicUrl, ALLMENDE_VERSION, ALLMENDE_REVISION, ngsi::nowMs()}, limits,
                         requestMetrics, [&subs] { return subs->deliveryStats(); }, apiKeys, policy, authenticator.get()};
  services.audit = cfg.audit == "on";
  if (authenticator) services.notificationKey = *store->getSetting("notificationKey");
  // What the store tells the broker: every entity change, for the
  // subscriptions; what other brokers sharing the store changed.
  store->watch({[&subs](std::string_view tenant, const store::Store::Change& change, const std::string* only) {
                  subs->onChange(tenant, change, only);
                },
                [&](store::DocumentKind kind, const std::string& tenant, const std::string& id,
                    const std::optional<std::string>& document) {
                  switch (kind) {
                    case store::DocumentKind::Subscription:
                      return subs->reload(tenant, id, document);
                    case store::DocumentKind::Snapshot:
                      return snapshots.reload(tenant, id, document);
                    case store::DocumentKind::Registration:
                      return registrations.reload(tenant, id, document);
                    case store::DocumentKind::RegistrationSubscription:
                      return registrationSubs->reload(tenant, id, document);
                    case store::DocumentKind::RemoteSubscription:
                      return remoteCopies.reload(tenant, id, document);
                    case store::DocumentKind::ApiKey:
                      return apiKeys.reload(id, document);
                    case store::DocumentKind::Grant:
                      return policy.reload(id, document);
                    case store::DocumentKind::EntityMap:
                      return entityMaps.reload(tenant, id, document);
                  }
                },
                [&contexts](const std::string& id, const std::optional<std::string>& document) {
                  contexts.adopt(id, document ? std::optional(jsonld::parseEntry(*document)) : std::nullopt);
                }});
  http::Router router;
  api::registerRoutes(router, services);

  http::ServerOptions serverOptions;
  serverOptions.listen = cfg.listen;
  serverOptions.port = cfg.port;
  serverOptions.threads = threads;
  serverOptions.maxBodyBytes = cfg.maxBodyBytes;
  serverOptions.headerTimeout = std::chrono::milliseconds(cfg.headerTimeoutMs);
  serverOptions.idleTimeout = std::chrono::milliseconds(cfg.idleTimeoutMs);
  serverOptions.drainTimeout = std::chrono::milliseconds(cfg.drainTimeoutMs);
  if (cfg.tlsCert.empty() != cfg.tlsKey.empty()) throw std::runtime_error("--tls-cert and --tls-key go together");
  serverOptions.tlsCert = cfg.tlsCert;
  serverOptions.tlsKey = cfg.tlsKey;
  http::Server server(
      io, serverOptions,
      [&router, auth = authenticator.get()](http::Request& req) { return api::dispatch(router, req, auth); },
      api::httpProblem, requestMetrics);
  auto port = server.bind();
  {
    ngsi::ExpirySweeper sweeper(*store, writes, std::chrono::milliseconds(cfg.expiryIntervalMs));
    spdlog::info("allmende {} listening on {}:{} ({}; data in {}, {} durability)", ALLMENDE_VERSION, cfg.listen, port,
                 cfg.tlsCert.empty() ? "HTTP" : "HTTPS", cfg.dataDir, cfg.sync ? "fsync" : "process-crash");
    server.run();
  }
  spdlog::info("stopped serving; closing the store");
  snapshots.flush();
  store->watch({});  // nothing more reaches the subscriptions and registries
  registrationSubs.reset();  // before the delivery it reports to
  subs.reset();
  store.reset();
  spdlog::info("store closed");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Allmende: an NGSI-LD context broker"};
  app.require_subcommand(1);
  Config cfg;
  auto* serveCmd = app.add_subcommand("serve", "Serve the NGSI-LD API");
  serveCmd->add_option("--data", cfg.dataDir, "Directory of the embedded store")->capture_default_str();
  serveCmd
      ->add_option("--store", cfg.storeUrl,
                   "postgresql://USER@HOST[:PORT]/DATABASE[?...]: keep everything in that PostgreSQL database "
                   "(with PostGIS) instead of the embedded store; several brokers may share it")
      ->check([](const std::string& url) {
        return url.starts_with("postgresql://") || url.starts_with("postgres://")
                   ? std::string()
                   : std::string("--store takes a postgresql:// URL (the embedded store is the default)");
      });
  serveCmd
      ->add_option("--store-read-replica", cfg.storeReplicaUrl,
                   "postgresql://...: a streaming replica of the --store database; reads (retrievals, queries, "
                   "discovery, temporal and audit queries) go to it while it is at most --store-replica-lag "
                   "behind")
      ->check([](const std::string& url) {
        return url.starts_with("postgresql://") || url.starts_with("postgres://")
                   ? std::string()
                   : std::string("--store-read-replica takes a postgresql:// URL");
      });
  serveCmd
      ->add_option("--store-replica-lag", cfg.storeReplicaLagMs,
                   "ms the read replica may lag behind the primary; beyond, reads go to the primary until it "
                   "has caught up (a read then misses at most the writes of this and 250 ms more)")
      ->check(CLI::Range(int64_t{0}, int64_t{3600000}))
      ->capture_default_str();
  serveCmd
      ->add_option("--store-connections", cfg.storeConnections,
                   "Connections to PostgreSQL the broker keeps at most (0 = two per I/O thread and four more)")
      ->capture_default_str();
  serveCmd->add_option("--port", cfg.port, "TCP port (0 = any free port)")->capture_default_str();
  serveCmd->add_option("--listen", cfg.listen, "Address to listen on")->capture_default_str();
  serveCmd
      ->add_option("--alias", cfg.alias,
                   "This broker's contextSourceAlias and its name in the Via header of forwarded requests "
                   "(default: allmende-<the random part of its id>)")
      ->check([](const std::string& a) {
        bool token = !a.empty() && std::all_of(a.begin(), a.end(), [](unsigned char c) {
          return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
        });
        return token ? std::string() : std::string("an alias is a token: letters, digits and !#$%&'*+-.^_`|~");
      });
  serveCmd->add_option("--threads", cfg.threads, "I/O threads (0 = one per core this process may run on; four per core with --store)")->capture_default_str();
  serveCmd->add_flag("--sync", cfg.sync, "fsync every write (group commit): survive power loss");
  serveCmd
      ->add_option("--block-cache", cfg.blockCacheBytes,
                   "Bytes of stored entities and history kept in memory, uncompressed (the store's block "
                   "cache); reads of what it holds need no decompression")
      ->check(CLI::Range(size_t{8} << 20, size_t{1} << 40))
      ->capture_default_str();
  serveCmd
      ->add_option("--entity-cache", cfg.entityCacheBytes,
                   "Bytes of recently read or written entities kept in memory as stored: a read of one "
                   "needs no look-up in the store's files; 0 = none (default: an eighth of the memory the "
                   "broker may use, the machine's or its control group's limit)")
      ->check(CLI::Range(size_t{0}, size_t{1} << 40))
      ->capture_default_str();
  serveCmd->add_option("--max-body", cfg.maxBodyBytes, "Request body limit in bytes")->capture_default_str();
  serveCmd->add_option("--header-timeout", cfg.headerTimeoutMs, "ms to receive a request once begun")
      ->capture_default_str();
  serveCmd->add_option("--idle-timeout", cfg.idleTimeoutMs, "ms a keep-alive connection may idle")
      ->capture_default_str();
  serveCmd->add_option("--drain-timeout", cfg.drainTimeoutMs, "ms in-flight requests get on SIGTERM")
      ->capture_default_str();
  serveCmd->add_option("--public-url", cfg.publicUrl,
                       "Base URL clients and context sources reach the broker at (for hosted @context URLs "
                       "and the notifications of distributed subscriptions)");
  serveCmd->add_option("--context-cache", cfg.contextCacheSize, "Remote @contexts kept in the cache")
      ->capture_default_str();
  serveCmd->add_option("--context-timeout", cfg.contextTimeoutMs, "ms to fetch a remote @context")
      ->capture_default_str();
  serveCmd->add_option("--context-ca", cfg.contextCaFile,
                       "PEM file of CA certificates trusted for https @contexts besides the system's");
  serveCmd->add_option("--expiry-interval", cfg.expiryIntervalMs, "ms between sweeps of expired data")
      ->capture_default_str();
  serveCmd->add_option("--notification-timeout", cfg.notificationTimeoutMs,
                       "ms a notification may take to deliver before it counts as failed")
      ->capture_default_str();
  serveCmd->add_option("--notification-connections", cfg.notificationConnections,
                       "Notifications in flight to one endpoint (one per subscription at a time)")
      ->capture_default_str()->check(CLI::Range(1, 64));
  serveCmd->add_option("--notification-retries", cfg.notificationRetries,
                       "Attempts after a failed one before a notification is dropped")
      ->capture_default_str()->check(CLI::Range(0, 100));
  serveCmd->add_option("--notification-backoff", cfg.notificationBackoffMs,
                       "ms an endpoint rests after a failure, doubled after each further one (at most 60 s)")
      ->capture_default_str()->check(CLI::Range(1, 60000));
  serveCmd->add_option("--notification-queue-bytes", cfg.notificationQueueBytes,
                       "Bytes of notifications waiting for one endpoint; beyond, new ones are dropped")
      ->capture_default_str();
  serveCmd->add_option("--notification-memory", cfg.notificationMemory,
                       "Bytes of notifications waiting or in flight over all endpoints; beyond, new ones are dropped")
      ->capture_default_str();
  serveCmd->add_option("--notification-coalesce", cfg.notificationCoalesce,
                       "Waiting notifications of one subscription that are sent together as one")
      ->capture_default_str()->check(CLI::Range(2, 1000000));
  serveCmd->add_option("--notification-grace", cfg.notificationGraceMs,
                       "ms pending notifications get on SIGTERM before they are dropped")
      ->capture_default_str();
  serveCmd->add_option("--max-limit", cfg.maxLimit, "Largest page size (limit) a query may ask for")
      ->capture_default_str();
  serveCmd->add_option("--max-batch", cfg.maxBatch, "Most entities in one batch operation")
      ->capture_default_str();
  // At most 16,384: an id escaped in a Location header (three bytes per byte at
  // worst) then stays below the 65,533 bytes a header field may have.
  serveCmd
      ->add_option("--max-uri-length", cfg.maxUriLength, "Longest entity id or other URI, in bytes")
      ->check(CLI::Range(64, 16384))
      ->capture_default_str();
  serveCmd
      ->add_option(
          "--max-attributes", cfg.maxAttributes,
          "Most attribute instances (with datasetId instances and sub-attributes) per entity")
      ->check(CLI::Range(size_t{1}, size_t{1000000}))
      ->capture_default_str();
  serveCmd
      ->add_option("--max-nesting", cfg.maxNesting,
                   "Deepest nesting of arrays and objects in a request body")
      ->check(CLI::Range(8, 1000))
      ->capture_default_str();
  serveCmd
      ->add_option("--history", cfg.history,
                   "Record attribute history for the temporal API (on) or not (off)")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  auto positiveDuration = CLI::Validator(
      [](const std::string& text) -> std::string {
        auto ms = allmende::ngsi::parseDuration(text);
        return ms && *ms > 0 ? "" : "'" + text + "' is not a positive ISO 8601 duration";
      },
      "DURATION");
  serveCmd
      ->add_option("--history-retention", cfg.historyRetention,
                   "Keep attribute history this long (ISO 8601 duration, e.g. P2Y or P90D; "
                   "older instances are removed in the background); default: keep all")
      ->check(positiveDuration);
  serveCmd
      ->add_option("--audit", cfg.audit,
                   "Record who changed what (subject, client, request id) with every write and admin "
                   "action, queryable at /ngsi-ld/ex/audit (on) or not (off)")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  serveCmd
      ->add_option("--audit-retention", cfg.auditRetention,
                   "Keep the audit trail this long (ISO 8601 duration, e.g. P1Y); default: keep all")
      ->check(positiveDuration);
  serveCmd
      ->add_option(
          "--temporal-limit", cfg.temporalLimit,
          "Most instances of one entity in a temporal answer (more: 206 with Content-Range)")
      ->check(CLI::Range(size_t{1}, size_t{100000000}))
      ->capture_default_str();
  serveCmd
      ->add_option("--max-snapshot-entities", cfg.maxSnapshotEntities,
                   "Most entities one snapshot may hold (a query selecting more fails: TooManyResults)")
      ->check(CLI::Range(size_t{1}, size_t{100000000}))
      ->capture_default_str();
  serveCmd
      ->add_option("--request-time-limit", cfg.requestTimeLimitMs,
                   "ms a read may spend examining candidates (entities, history instances) before "
                   "it is answered 403 TooComplexQuery; 0 = no limit")
      ->check(CLI::Range(0, 3600000))
      ->capture_default_str();
  serveCmd
      ->add_option("--max-response-bytes", cfg.maxResponseBytes,
                   "Largest response body; a larger answer is 403 TooManyResults")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 40))
      ->capture_default_str();
  serveCmd->add_option("--auth-issuer", cfg.authIssuer,
                       "Require bearer tokens (JWT) from this OIDC issuer (its iss); off when not given");
  serveCmd->add_option("--auth-audience", cfg.authAudience, "The audience (aud) tokens must name; empty: not checked");
  serveCmd->add_option("--auth-jwks", cfg.authJwks, "The issuer's signing keys: a JWKS file or http(s) URL");
  serveCmd->add_option("--auth-jwks-refresh", cfg.authJwksRefreshS, "Seconds between reloads of the key set")
      ->capture_default_str();
  serveCmd->add_option("--auth-admin", cfg.authAdmin,
                       "The token sub of the broker-wide admin (everything in every tenant; API keys, grants)");
  serveCmd->add_option("--auth-ca", cfg.authCaFile,
                       "PEM file of CA certificates trusted for an https key set URL besides the system's");
  serveCmd->add_option("--tls-cert", cfg.tlsCert, "PEM certificate chain: serve HTTPS only (with --tls-key; reread on SIGHUP)");
  serveCmd->add_option("--tls-key", cfg.tlsKey, "PEM private key of --tls-cert");
  serveCmd->add_option("--log-level", cfg.logLevel, "trace, debug, info, warn, error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return serve(cfg);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
