// EntityMaps in memory: creation with bounded lifetime, lookup of live maps,
// pruning, and eviction of the oldest when too many exist.
#include "api/entity_map_registry.h"

#include <algorithm>

#include "ngsi/syntax.h"

namespace allmende::api {

EntityMap EntityMapRegistry::create(const std::string& tenant, std::vector<std::string> entityIds,
                                    int64_t lifetimeMs, int64_t now) {
  EntityMap m;
  m.id = ngsi::randomUrn("EntityMap");
  m.expiresAtMs = now + std::clamp<int64_t>(lifetimeMs, 0, kMaxLifetimeMs);
  m.entityIds = std::move(entityIds);
  std::lock_guard lock(mutex_);
  while (maps_.size() >= kMaxMaps && !byCreation_.empty()) {
    maps_.erase(byCreation_.begin()->second);
    byCreation_.erase(byCreation_.begin());
  }
  lastCreated_ = std::max(lastCreated_ + 1, now);
  byCreation_[lastCreated_] = {tenant, m.id};
  maps_[{tenant, m.id}] = m;
  return m;
}

EntityMap* EntityMapRegistry::live(const Key& key, int64_t now) {
  auto it = maps_.find(key);
  if (it == maps_.end()) return nullptr;
  if (it->second.expiresAtMs > now) return &it->second;
  maps_.erase(it);  // an expired map cannot be accessed (5.5.14)
  std::erase_if(byCreation_, [&key](const auto& entry) { return entry.second == key; });
  return nullptr;
}

std::optional<EntityMap> EntityMapRegistry::find(const std::string& tenant, const std::string& id, int64_t now) {
  std::lock_guard lock(mutex_);
  if (auto* m = live({tenant, id}, now)) return *m;
  return std::nullopt;
}

bool EntityMapRegistry::expire(const std::string& tenant, const std::string& id, int64_t expiresAtMs, int64_t now) {
  std::lock_guard lock(mutex_);
  auto* m = live({tenant, id}, now);
  if (!m) return false;
  m->expiresAtMs = std::min(expiresAtMs, now + kMaxLifetimeMs);
  return true;
}

bool EntityMapRegistry::prune(const std::string& tenant, const std::string& id, std::vector<std::string> entityIds,
                              int64_t now) {
  std::lock_guard lock(mutex_);
  auto* m = live({tenant, id}, now);
  if (!m) return false;
  m->entityIds = std::move(entityIds);
  return true;
}

bool EntityMapRegistry::remove(const std::string& tenant, const std::string& id, int64_t now) {
  std::lock_guard lock(mutex_);
  if (!live({tenant, id}, now)) return false;
  Key key{tenant, id};
  maps_.erase(key);
  std::erase_if(byCreation_, [&key](const auto& entry) { return entry.second == key; });
  return true;
}

}  // namespace allmende::api
