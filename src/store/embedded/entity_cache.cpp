// Sixteen shards by key hash, each a map of its entries and a clock over them.
#include "store/embedded/entity_cache.h"

#include <cstring>
#include <functional>
#include <new>

namespace allmende::store {

namespace {
// What an entry costs besides its key and value bytes: its header, the map's
// slot, the clock's pointer and the allocator's own bookkeeping.
constexpr size_t kEntryOverhead = sizeof(EntityCache::Entry) + 56;

size_t cost(std::string_view key, std::string_view value) {
  return key.size() + value.size() + kEntryOverhead;
}
}  // namespace

EntityCache::Entry* EntityCache::Entry::make(std::string_view key, std::string_view value) {
  void* memory = ::operator new(sizeof(Entry) + key.size() + value.size());
  auto* e =
      new (memory) Entry(static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size()));
  char* bytes = reinterpret_cast<char*>(e + 1);
  std::memcpy(bytes, key.data(), key.size());
  std::memcpy(bytes + key.size(), value.data(), value.size());
  return e;
}

void intrusive_ptr_release(const EntityCache::Entry* e) {
  if (e->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  e->~Entry();
  ::operator delete(const_cast<EntityCache::Entry*>(e));
}

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
  it->second->referenced_ = true;
  return it->second;
}

void EntityCache::add(std::string_view key, std::string_view value, Ticket ticket) {
  if (cost(key, value) > shardCapacity_) return;
  auto& s = shard(key);
  std::lock_guard lock(s.mutex);
  if (s.writes != ticket) return;  // a write came between the read and now
  store(s, key, value);
}

void EntityCache::put(std::string_view key, std::string_view value) {
  auto& s = shard(key);
  std::lock_guard lock(s.mutex);
  ++s.writes;
  if (cost(key, value) > shardCapacity_)
    drop(s, key);
  else
    store(s, key, value);
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
    s.clock.clear();
    s.freeSlots.clear();
    s.hand = 0;
    s.bytes = 0;
  }
}

void EntityCache::store(Shard& s, std::string_view key, std::string_view value) {
  drop(s, key);
  while (s.bytes + cost(key, value) > shardCapacity_) evictOne(s);
  boost::intrusive_ptr<Entry> e(Entry::make(key, value));
  if (s.freeSlots.empty()) {
    e->slot_ = static_cast<uint32_t>(s.clock.size());
    s.clock.push_back(e.get());
  } else {
    e->slot_ = s.freeSlots.back();
    s.freeSlots.pop_back();
    s.clock[e->slot_] = e.get();
  }
  s.bytes += cost(key, value);
  s.byKey.emplace(e->key(), std::move(e));
}

void EntityCache::drop(Shard& s, std::string_view key) {
  auto it = s.byKey.find(key);
  if (it == s.byKey.end()) return;
  Entry& e = *it->second;
  s.bytes -= cost(e.key(), e.value());
  s.clock[e.slot_] = nullptr;
  s.freeSlots.push_back(e.slot_);
  s.byKey.erase(it);  // may free e
}

void EntityCache::evictOne(Shard& s) {
  for (;; s.hand = (s.hand + 1) % s.clock.size()) {
    Entry* e = s.clock[s.hand];
    if (e == nullptr) continue;
    if (e->referenced_) {
      e->referenced_ = false;
      continue;
    }
    drop(s, e->key());
    return;
  }
}

}  // namespace allmende::store
