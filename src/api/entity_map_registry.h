// EntityMaps (clause 5.2.39, 5.5.14, 5.14): for a query, which entities it
// selected and where they live ("@none" = this broker), so that paging through
// the query later sees the same candidates. Held in memory per tenant for a
// bounded lifetime (a map that is gone is made again, as 5.7.1.4 says), with
// at most maxMaps maps and maxEntityIds entity ids at once (the oldest maps
// give way), and in the store: a map survives a restart, and every broker
// sharing the store serves it. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace allmende::api {

struct EntityMap {
  std::string id;
  int64_t expiresAtMs = 0;
  std::vector<std::string> entityIds;  // in the query's order
  // Parallel to entityIds: the ids of the registrations whose sources hold
  // each entity, "@none" for this broker; empty when every entity is held here.
  std::vector<std::vector<std::string>> sources;

  // Where the entity at index i is held ({"@none"}: here).
  std::vector<std::string> sourcesOf(size_t i) const {
    return sources.empty() ? std::vector<std::string>{"@none"} : sources[i];
  }
};

class EntityMapRegistry {
 public:
  static constexpr int64_t kDefaultLifetimeMs = 60 * 60 * 1000;  // 1 hour
  static constexpr int64_t kMaxLifetimeMs = 24 * 60 * 60 * 1000;  // a day

  // Loads the live maps the store holds (and deletes the expired ones).
  explicit EntityMapRegistry(store::Store& store, size_t maxMaps = 10000,
                             size_t maxEntityIds = 2'000'000);  // ids: about 100 MB

  // A new map of these entities (held where `sources` says, parallel to
  // entityIds; empty: here) living lifetimeMs (bounded by kMaxLifetimeMs);
  // TooManyResults if it alone would hold more than maxEntityIds.
  EntityMap create(const std::string& tenant, std::vector<std::string> entityIds, int64_t lifetimeMs, int64_t nowMs,
                   std::vector<std::vector<std::string>> sources = {});
  // The live map with that id in that tenant.
  std::optional<EntityMap> find(const std::string& tenant, const std::string& id, int64_t nowMs);
  // Sets expiresAt (bounded by now + kMaxLifetimeMs); false if there is no live map.
  bool expire(const std::string& tenant, const std::string& id, int64_t expiresAtMs, int64_t nowMs);
  // Keeps only the entities `keep` accepts (those that still match), in their
  // order; false if there is no live map.
  bool prune(const std::string& tenant, const std::string& id, const std::function<bool(const std::string&)>& keep,
             int64_t nowMs);
  bool remove(const std::string& tenant, const std::string& id, int64_t nowMs);
  // A map another broker sharing the store made or changed (its stored form) or deleted (nullopt).
  void reload(const std::string& tenant, const std::string& id, const std::optional<std::string>& document);

 private:
  using Key = std::pair<std::string, std::string>;  // tenant, id
  EntityMap* live(const Key& key, int64_t nowMs);
  // Holds the map in memory (mutex_ held), the oldest giving way as the limits say.
  void hold(const std::string& tenant, EntityMap m);
  void persist(const std::string& tenant, const EntityMap& m);

  store::Store& store_;
  std::mutex mutex_;
  std::map<Key, EntityMap> maps_;
  void erase(const Key& key, bool stored = true);  // stored: deleted from the store too

  const size_t maxMaps_, maxEntityIds_;
  std::map<int64_t, Key> byCreation_;  // creation order (for eviction)
  size_t entityIds_ = 0;               // held by all maps
  int64_t lastCreated_ = 0;
};

}  // namespace allmende::api
