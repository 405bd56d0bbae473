// Snapshot records in memory and in the store; see registry.h.
#include "snapshots/registry.h"

#include <spdlog/spdlog.h>

#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::snapshots {

namespace {

// Client tenant names never start with '.' (ngsi::isValidTenant).
constexpr std::string_view kStoreTenantPrefix = ".snapshot:";

}  // namespace

Registry::Registry(store::Store& store) : store_(store) {
  std::set<std::string> used;
  auto now = ngsi::nowMs();
  for (const auto& stored : store_.documents(store::DocumentKind::Snapshot)) {
    auto s = parseStored(stored);
    if (s.expired(now)) {
      store_.deleteDocument(store::DocumentKind::Snapshot, s.tenant, s.id);
      continue;
    }
    if (s.status == status::preparing) {
      spdlog::warn("snapshot '{}' was being made when the broker stopped; it is marked failed", s.id);
      store_.dropTenant(s.storeTenant);
      s.status = status::failed;
      s.queryDetails.clear();
      s.modifiedAtMs = now;
      store_.putDocument(store::DocumentKind::Snapshot, {s.tenant, s.id, serialize(s)});
    }
    used.insert(s.storeTenant);
    Key key{s.tenant, s.id};
    snapshots_.emplace(std::move(key), std::move(s));
  }
  for (const auto& tenant : store_.tenants())
    if (tenant.starts_with(kStoreTenantPrefix) && !used.contains(tenant)) store_.dropTenant(tenant);
}

void Registry::reload(const std::string& tenant, const std::string& id, const std::optional<std::string>& document) {
  std::lock_guard lock(mutex_);
  Key key{tenant, id};
  touched_.erase(key);
  if (document)
    snapshots_.insert_or_assign(key, parseStored({tenant, id, *document}));
  else
    snapshots_.erase(key);
}

std::string Registry::newStoreTenant() {
  auto urn = ngsi::randomUrn("Snapshot");
  return std::string(kStoreTenantPrefix) + urn.substr(urn.rfind(':') + 1);
}

void Registry::add(const Snapshot& s) {
  std::lock_guard lock(mutex_);
  Key key{s.tenant, s.id};
  dropIfExpired(key, ngsi::nowMs());
  if (snapshots_.contains(key))
    ngsi::fail(ngsi::ErrorType::AlreadyExists, "a snapshot with id '" + s.id + "' already exists");
  persist(s);
  snapshots_.emplace(std::move(key), s);
}

bool Registry::finishFill(const Snapshot& filled) {
  std::lock_guard lock(mutex_);
  auto it = snapshots_.find({filled.tenant, filled.id});
  if (it == snapshots_.end() || it->second.storeTenant != filled.storeTenant) {
    store_.dropTenant(filled.storeTenant);
    return false;
  }
  it->second.status = filled.status;
  it->second.queryDetails = filled.queryDetails;
  it->second.modifiedAtMs = filled.modifiedAtMs;
  persist(it->second);
  return true;
}

std::optional<Snapshot> Registry::update(const std::string& tenant, const std::string& id,
                                         const std::function<void(Snapshot&)>& change) {
  std::lock_guard lock(mutex_);
  Key key{tenant, id};
  if (dropIfExpired(key, ngsi::nowMs())) return std::nullopt;
  auto it = snapshots_.find(key);
  if (it == snapshots_.end()) return std::nullopt;
  Snapshot changed = it->second;
  change(changed);
  persist(changed);
  it->second = std::move(changed);
  return it->second;
}

std::optional<Snapshot> Registry::find(const std::string& tenant, const std::string& id, int64_t nowMs) {
  std::lock_guard lock(mutex_);
  Key key{tenant, id};
  if (dropIfExpired(key, nowMs)) return std::nullopt;
  auto it = snapshots_.find(key);
  if (it == snapshots_.end()) return std::nullopt;
  return it->second;
}

std::vector<Snapshot> Registry::list(const std::string& tenant, int64_t nowMs) {
  std::lock_guard lock(mutex_);
  std::vector<Snapshot> out;
  for (auto it = snapshots_.lower_bound({tenant, ""}); it != snapshots_.end() && it->first.first == tenant;) {
    auto key = (it++)->first;  // dropIfExpired may erase it
    if (!dropIfExpired(key, nowMs)) out.push_back(snapshots_.at(key));
  }
  return out;
}

bool Registry::remove(const std::string& tenant, const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = snapshots_.find({tenant, id});
  if (it == snapshots_.end()) return false;
  erase(it);
  return true;
}

void Registry::touch(const std::string& tenant, const std::string& id, int64_t nowMs) {
  std::lock_guard lock(mutex_);
  auto it = snapshots_.find({tenant, id});
  if (it == snapshots_.end()) return;
  it->second.lastUsedAtMs = nowMs;
  touched_.insert(it->first);
}

void Registry::flush() {
  std::lock_guard lock(mutex_);
  for (auto key : std::set<Key>(touched_)) persist(snapshots_.at(key));
}

bool Registry::dropIfExpired(const Key& key, int64_t nowMs) {
  auto it = snapshots_.find(key);
  if (it == snapshots_.end() || !it->second.expired(nowMs)) return false;
  erase(it);
  return true;
}

void Registry::erase(std::map<Key, Snapshot>::iterator it) {
  store_.deleteDocument(store::DocumentKind::Snapshot, it->first.first, it->first.second);
  store_.dropTenant(it->second.storeTenant);
  touched_.erase(it->first);
  snapshots_.erase(it);
}

void Registry::persist(const Snapshot& s) {
  store_.putDocument(store::DocumentKind::Snapshot, {s.tenant, s.id, serialize(s)});
  touched_.erase({s.tenant, s.id});
}

}  // namespace allmende::snapshots
