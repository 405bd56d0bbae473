// The snapshots of every tenant (clause 5.16): held in memory, each change
// persisted in the store (Store::putDocument) and loaded again at start, so
// snapshots survive restarts. A snapshot's entities live in its store tenant;
// deleting the snapshot drops that tenant. Expired snapshots (snapshotLifetime
// passed) are deleted when next looked at, and at start.
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "snapshots/snapshot.h"
#include "store/store.h"

namespace allmende::snapshots {

class Registry {
 public:
  // Loads the stored snapshots. One still `preparing` was being filled when the
  // broker stopped: its copy is incomplete, so its entities are dropped and it
  // becomes `failed`. Store tenants left by snapshots that no longer exist are
  // dropped as well.
  explicit Registry(store::Store& store);

  // A fresh store tenant name for a new snapshot's entities.
  static std::string newStoreTenant();

  // Adds and persists a new snapshot; AlreadyExists if its tenant has one with that id.
  void add(const Snapshot& s);
  // Records how the fill of a snapshot ended (status, queryDetails). False if
  // the snapshot was deleted meanwhile: then its store tenant, which the fill
  // may have written since, is dropped again.
  bool finishFill(const Snapshot& filled);
  // Changes the snapshot under the registry's lock and persists it; the
  // changed snapshot, or nullopt if there is none. What change throws leaves
  // the snapshot as it was.
  std::optional<Snapshot> update(const std::string& tenant, const std::string& id,
                                 const std::function<void(Snapshot&)>& change);
  // The live snapshot of that tenant and id.
  std::optional<Snapshot> find(const std::string& tenant, const std::string& id, int64_t nowMs);
  // Every live snapshot of the tenant, in id order.
  std::vector<Snapshot> list(const std::string& tenant, int64_t nowMs);
  // Deletes the snapshot and its entities; false if there is none.
  bool remove(const std::string& tenant, const std::string& id);
  // Notes a use of the snapshot (lastUsedAt); persisted with its next change or by flush.
  void touch(const std::string& tenant, const std::string& id, int64_t nowMs);
  // Persists the uses noted since the last change (called when the broker stops).
  void flush();
  // A snapshot another broker sharing the store made or changed (its stored
  // form) or deleted (nullopt).
  void reload(const std::string& tenant, const std::string& id, const std::optional<std::string>& document);

 private:
  using Key = std::pair<std::string, std::string>;  // tenant, id
  // Deletes an expired snapshot (mutex_ held); true if it was expired.
  bool dropIfExpired(const Key& key, int64_t nowMs);
  // Deletes a snapshot, its record and its entities (mutex_ held).
  void erase(std::map<Key, Snapshot>::iterator it);
  void persist(const Snapshot& s);

  store::Store& store_;
  std::mutex mutex_;
  std::map<Key, Snapshot> snapshots_;
  std::set<Key> touched_;  // lastUsedAt changed since the snapshot was persisted
};

}  // namespace allmende::snapshots
