// EntityMaps in memory: creation with bounded lifetime, lookup of live maps,
// pruning, and eviction of the oldest when too many exist.
#include "api/entity_map_registry.h"

#include <algorithm>

#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::api {

EntityMap EntityMapRegistry::create(const std::string& tenant, std::vector<std::string> entityIds,
                                    int64_t lifetimeMs, int64_t now,
                                    std::vector<std::vector<std::string>> sources) {
  EntityMap m;
  m.id = ngsi::randomUrn("EntityMap");
  m.expiresAtMs = now + std::clamp<int64_t>(lifetimeMs, 0, kMaxLifetimeMs);
  if (entityIds.size() > maxEntityIds_)
    ngsi::fail(ngsi::ErrorType::TooManyResults, "the query selects " + std::to_string(entityIds.size()) +
                                                    " entities; an EntityMap holds at most " +
                                                    std::to_string(maxEntityIds_));
  m.entityIds = std::move(entityIds);
  m.sources = std::move(sources);
  std::lock_guard lock(mutex_);
  while ((maps_.size() >= maxMaps_ || entityIds_ + m.entityIds.size() > maxEntityIds_) && !byCreation_.empty()) {
    Key oldest = byCreation_.begin()->second;  // a copy: erase() removes the node it lives in
    erase(oldest);
  }
  entityIds_ += m.entityIds.size();
  lastCreated_ = std::max(lastCreated_ + 1, now);
  byCreation_[lastCreated_] = {tenant, m.id};
  maps_[{tenant, m.id}] = m;
  return m;
}

void EntityMapRegistry::erase(const Key& key) {
  if (auto it = maps_.find(key); it != maps_.end()) {
    entityIds_ -= it->second.entityIds.size();
    maps_.erase(it);
  }
  std::erase_if(byCreation_, [&key](const auto& entry) { return entry.second == key; });
}

EntityMap* EntityMapRegistry::live(const Key& key, int64_t now) {
  auto it = maps_.find(key);
  if (it == maps_.end()) return nullptr;
  if (it->second.expiresAtMs > now) return &it->second;
  erase(key);  // an expired map cannot be accessed (5.5.14)
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

bool EntityMapRegistry::prune(const std::string& tenant, const std::string& id,
                              const std::function<bool(const std::string&)>& keep, int64_t now) {
  std::lock_guard lock(mutex_);
  auto* m = live({tenant, id}, now);
  if (!m) return false;
  size_t kept = 0;
  for (size_t i = 0; i < m->entityIds.size(); ++i) {
    if (!keep(m->entityIds[i])) continue;
    if (kept != i) {
      m->entityIds[kept] = std::move(m->entityIds[i]);
      if (!m->sources.empty()) m->sources[kept] = std::move(m->sources[i]);
    }
    ++kept;
  }
  entityIds_ -= m->entityIds.size() - kept;
  m->entityIds.resize(kept);
  if (!m->sources.empty()) m->sources.resize(kept);
  return true;
}

bool EntityMapRegistry::remove(const std::string& tenant, const std::string& id, int64_t now) {
  std::lock_guard lock(mutex_);
  if (!live({tenant, id}, now)) return false;
  erase({tenant, id});
  return true;
}

}  // namespace allmende::api
