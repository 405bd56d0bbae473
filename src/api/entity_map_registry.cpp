// EntityMaps in memory and in the store: creation with bounded lifetime,
// lookup of live maps, pruning, and eviction of the oldest when too many exist.
#include "api/entity_map_registry.h"

#include <algorithm>

#include <boost/json.hpp>

#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::api {

namespace json = boost::json;

namespace {

std::string serialize(const EntityMap& m) {
  json::array ids, sources;
  for (const auto& id : m.entityIds) ids.emplace_back(id);
  for (const auto& held : m.sources) {
    json::array where;
    for (const auto& s : held) where.emplace_back(s);
    sources.emplace_back(std::move(where));
  }
  return json::serialize(json::object{{"expiresAt", m.expiresAtMs}, {"entityIds", std::move(ids)},
                                      {"sources", std::move(sources)}});
}

EntityMap parseStored(const std::string& id, const std::string& document) {
  auto o = json::parse(document).as_object();
  EntityMap m;
  m.id = id;
  m.expiresAtMs = o.at("expiresAt").to_number<int64_t>();
  for (const auto& e : o.at("entityIds").as_array()) m.entityIds.emplace_back(e.as_string());
  for (const auto& held : o.at("sources").as_array()) {
    auto& where = m.sources.emplace_back();
    for (const auto& s : held.as_array()) where.emplace_back(s.as_string());
  }
  return m;
}

}  // namespace

EntityMapRegistry::EntityMapRegistry(store::Store& store, size_t maxMaps, size_t maxEntityIds)
    : store_(store), maxMaps_(maxMaps), maxEntityIds_(maxEntityIds) {
  auto now = ngsi::nowMs();
  for (const auto& d : store_.documents(store::DocumentKind::EntityMap)) {
    auto m = parseStored(d.id, d.document);
    if (m.expiresAtMs <= now) {
      store_.deleteDocument(store::DocumentKind::EntityMap, d.tenant, d.id);
      continue;
    }
    std::lock_guard lock(mutex_);
    hold(d.tenant, std::move(m));
  }
}

void EntityMapRegistry::persist(const std::string& tenant, const EntityMap& m) {
  store_.putDocument(store::DocumentKind::EntityMap, {tenant, m.id, serialize(m)});
}

void EntityMapRegistry::hold(const std::string& tenant, EntityMap m) {
  erase({tenant, m.id}, false);
  while ((maps_.size() >= maxMaps_ || entityIds_ + m.entityIds.size() > maxEntityIds_) && !byCreation_.empty()) {
    Key oldest = byCreation_.begin()->second;  // a copy: erase() removes the node it lives in
    erase(oldest);
  }
  entityIds_ += m.entityIds.size();
  lastCreated_ = std::max(lastCreated_ + 1, ngsi::nowMs());
  byCreation_[lastCreated_] = {tenant, m.id};
  maps_[{tenant, m.id}] = std::move(m);
}

void EntityMapRegistry::reload(const std::string& tenant, const std::string& id,
                               const std::optional<std::string>& document) {
  std::lock_guard lock(mutex_);
  if (document)
    hold(tenant, parseStored(id, *document));
  else
    erase({tenant, id}, false);
}

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
  persist(tenant, m);
  hold(tenant, m);
  return m;
}

void EntityMapRegistry::erase(const Key& key, bool stored) {
  if (auto it = maps_.find(key); it != maps_.end()) {
    entityIds_ -= it->second.entityIds.size();
    maps_.erase(it);
    if (stored) store_.deleteDocument(store::DocumentKind::EntityMap, key.first, key.second);
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
  persist(tenant, *m);
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
  if (kept == m->entityIds.size()) return true;
  entityIds_ -= m->entityIds.size() - kept;
  m->entityIds.resize(kept);
  if (!m->sources.empty()) m->sources.resize(kept);
  persist(tenant, *m);
  return true;
}

bool EntityMapRegistry::remove(const std::string& tenant, const std::string& id, int64_t now) {
  std::lock_guard lock(mutex_);
  if (!live({tenant, id}, now)) return false;
  erase({tenant, id});
  return true;
}

}  // namespace allmende::api
