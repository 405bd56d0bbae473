// The broker's @context registry: resolves the @context of a request (URL,
// inline object or array) to a compiled Context, and keeps the contexts the
// /jsonldContexts API lists:
//   Hosted            added by a user (POST /jsonldContexts), served by the broker
//   Cached            remote contexts fetched over HTTP on first use (bounded LRU)
//   ImplicitlyCreated an inline @context (object or array) stored by the broker so
//                     that one URL names it, e.g. a subscription's jsonldContext
// Core context URLs resolve to the embedded core and are never fetched.
// Entries persist through the ContextPersistence callbacks (the store), so a
// broker restarted offline still knows its contexts.
// Thread-safe: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json.hpp>

#include "http/client.h"
#include "jsonld/context.h"

namespace allmende::jsonld {

struct ContextEntry {
  std::string url;
  std::string localId;
  std::string kind;    // "Hosted", "Cached", "ImplicitlyCreated"
  std::string tenant;  // Hosted and ImplicitlyCreated entries belong to a tenant
  int64_t createdAt = 0;
  int64_t lastUsage = 0;
  uint64_t hits = 0;
  boost::json::value document;  // the whole document, {"@context": ...}
};

struct ContextPersistence {
  std::function<void(const ContextEntry&)> save;
  std::function<void(const std::string& localId)> erase;
};

struct RegistryOptions {
  std::string publicBaseUrl = "http://127.0.0.1:1026";  // where hosted contexts are served
  size_t maxCachedContexts = 256;                      // remote contexts kept (LRU)
  size_t maxCompiledContexts = 1024;                   // compiled request contexts kept (LRU)
  http::ClientOptions fetch;  // timeout, size limit, extra CA file for remote contexts
};

class ContextRegistry {
 public:
  ContextRegistry(RegistryOptions options, ContextPersistence persistence);

  // Restores persisted entries (at start).
  void restore(ContextEntry entry);

  // The compiled context for a request's @context value (null = core only).
  // Throws ngsi::Error: BadRequestData for an invalid context, LdContextNotAvailable
  // when a remote context cannot be fetched.
  ContextPtr resolve(const boost::json::value& contextValue);

  // Adds a Hosted context; returns its entry. Throws BadRequestData when invalid.
  ContextEntry addHosted(const boost::json::value& document, const std::string& tenant);
  // Adds an ImplicitlyCreated context holding a request's @context value (which
  // that request resolved already); returns its entry.
  ContextEntry addImplicit(const boost::json::value& contextValue, const std::string& tenant);
  // Entries visible to tenant (its Hosted and ImplicitlyCreated ones + Cached),
  // optionally of one kind.
  std::vector<ContextEntry> list(const std::string& tenant, const std::optional<std::string>& kind);
  // The entry with this localId or URL, visible to tenant.
  std::optional<ContextEntry> find(const std::string& idOrUrl, const std::string& tenant);
  // find() for serving the context (GET /jsonldContexts/{id}): serving a Cached
  // entry counts as a hit, after the copy is taken (details show the figures
  // from before this request); Hosted and ImplicitlyCreated ones are served
  // without counting (conformance 053_04, 053_06, 053_08; docs/decisions.md).
  std::optional<ContextEntry> serve(const std::string& idOrUrl, const std::string& tenant);
  // Deletes the entry; false if there is none visible to tenant.
  bool remove(const std::string& idOrUrl, const std::string& tenant);
  // Fetches a Cached entry again. Throws LdContextNotAvailable (entry kept).
  void reload(const std::string& idOrUrl);
  // An entry another broker sharing the store stored (its parsed stored form)
  // or deleted (nullopt), taken as it is (not stored again).
  void adopt(const std::string& localId, std::optional<ContextEntry> entry);

 private:
  boost::json::value fetchDocument(const std::string& url) const;
  boost::json::value loadDocument(const std::string& url, std::vector<std::string>& used);
  void applyValue(ContextBuilder& builder, const boost::json::value& value, int depth,
                  std::vector<std::string>& used);
  ContextEntry* findLocked(const std::string& idOrUrl, const std::string* tenant);
  void touchLocked(const std::vector<std::string>& urls);
  std::string hostedLocalId(const std::string& url) const;
  ContextEntry addServed(std::string kind, const boost::json::value& contextValue,
                         const std::string& tenant);
  void evictLocked();

  RegistryOptions options_;
  ContextPersistence persistence_;
  std::mutex mutex_;
  std::unordered_map<std::string, ContextEntry> entries_;  // by localId
  std::unordered_map<std::string, std::string> byUrl_;     // URL -> localId
  struct Compiled {
    ContextPtr context;
    std::vector<std::string> urls;
    std::list<std::string>::iterator lru;
  };
  std::unordered_map<std::string, Compiled> compiled_;
  std::list<std::string> compiledLru_;
};

// The persisted form of an entry (a JSON text) and back.
std::string serializeEntry(const ContextEntry& entry);
ContextEntry parseEntry(std::string_view text);

// Validates a @context value (string, object, or array of strings/objects).
// Throws BadRequestData.
void checkContextValue(const boost::json::value& value);

// True when a @context value is one URL: a string, or an array of one string.
bool isSingleUrl(const boost::json::value& value);

}  // namespace allmende::jsonld
