// Sixteen shards by key hash, each a map into its own recency list.
#include "store/embedded/entity_cache.h"

#include <functional>

namespace allmende::store {

namespace {
// What an entry costs besides its key and value bytes (list node, map slot, control block).
constexpr size_t kEntryOverhead = 96;
}  // namespace

EntityCache::EntityCache(size_t capacityBytes) : shardCapacity_(capacityBytes / 16) {}

EntityCache::Shard& EntityCache::shard(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

EntityCache::Value EntityCache::find(std::string_view key, Ticket& ticket) {
  auto& s = shard(key);
  std::lock_guard lock(s.mutex);
  ticket = s.writes;
  auto it = s.byKey.find(key);
  if (it == s.byKey.end()) return nullptr;
  s.recent.splice(s.recent.begin(), s.recent, it->second);
  return it->second->second;
}

void EntityCache::add(std::string_view key, std::string_view value, Ticket ticket) {
  if (key.size() + value.size() + kEntryOverhead > shardCapacity_) return;
  auto& s = shard(key);
  auto copy = std::make_shared<const std::string>(value);
  std::lock_guard lock(s.mutex);
  if (s.writes != ticket) return;  // a write came between the read and now
  store(s, key, std::move(copy));
}

void EntityCache::put(std::string_view key, std::string value) {
  auto& s = shard(key);
  auto shared = std::make_shared<const std::string>(std::move(value));
  std::lock_guard lock(s.mutex);
  ++s.writes;
  if (key.size() + shared->size() + kEntryOverhead > shardCapacity_)
    drop(s, key);
  else
    store(s, key, std::move(shared));
}

void EntityCache::erase(std::string_view key) {
  auto& s = shard(key);
  std::lock_guard lock(s.mutex);
  ++s.writes;
  drop(s, key);
}

void EntityCache::clear() {
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    ++s.writes;
    s.byKey.clear();
    s.recent.clear();
    s.bytes = 0;
  }
}

void EntityCache::store(Shard& s, std::string_view key, Value value) {
  drop(s, key);
  s.bytes += key.size() + value->size() + kEntryOverhead;
  s.recent.emplace_front(std::string(key), std::move(value));
  s.byKey.emplace(s.recent.front().first, s.recent.begin());
  while (s.bytes > shardCapacity_) {
    const auto& [oldKey, oldValue] = s.recent.back();
    s.bytes -= oldKey.size() + oldValue->size() + kEntryOverhead;
    s.byKey.erase(oldKey);
    s.recent.pop_back();
  }
}

void EntityCache::drop(Shard& s, std::string_view key) {
  auto it = s.byKey.find(key);
  if (it == s.byKey.end()) return;
  s.bytes -= it->second->first.size() + it->second->second->size() + kEntryOverhead;
  auto node = it->second;
  s.byKey.erase(it);
  s.recent.erase(node);
}

}  // namespace allmende::store
