// A bounded memory of stored entity values (their encoded form, as RocksDB
// holds them) by store key: a point read of an entity held here needs no
// RocksDB look-up (index block seek, block cache, data block search: about
// 3 µs each at 100k entities). The store's write path keeps it: after a write
// is in RocksDB, the written value replaces the old one (a deletion erases
// it). A value read from RocksDB is added only if no write to the same shard
// happened since the read began (its Ticket), so a read that raced a write
// never leaves the older value behind. When full, an entry not used since the
// clock hand last passed it goes first (CLOCK, an approximation of least
// recently used: a hit only marks its entry, it moves nothing).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

namespace allmende::store {

class EntityCache {
 public:
  // One cached value with its key, in one allocation (a hit reads one place).
  class Entry {
   public:
    std::string_view key() const { return {bytes(), keySize_}; }
    std::string_view value() const { return {bytes() + keySize_, valueSize_}; }

   private:
    friend class EntityCache;
    friend void intrusive_ptr_add_ref(const Entry* e) {
      e->refs_.fetch_add(1, std::memory_order_relaxed);
    }
    friend void intrusive_ptr_release(const Entry* e);
    static Entry* make(std::string_view key, std::string_view value);
    Entry(uint32_t keySize, uint32_t valueSize) : keySize_(keySize), valueSize_(valueSize) {}
    const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }

    mutable std::atomic<uint32_t> refs_{0};
    uint32_t keySize_;
    uint32_t valueSize_;
    uint32_t slot_ = 0;        // its place in the shard's clock
    bool referenced_ = false;  // found since it came or the clock hand last passed
  };
  using Value = boost::intrusive_ptr<const Entry>;
  using Ticket = uint64_t;

  // capacityBytes: keys and values together (0: nothing is kept).
  explicit EntityCache(size_t capacityBytes);

  // The entry under key, or null; then `ticket` is set, to be given to add()
  // with the value read from RocksDB afterwards (refused if a write came between).
  Value find(std::string_view key, Ticket& ticket);
  // A value read from RocksDB after find() set `ticket`.
  void add(std::string_view key, std::string_view value, Ticket ticket);
  // A value just written to RocksDB (the stripe lock of the key is held).
  void put(std::string_view key, std::string_view value);
  // A key just deleted in RocksDB.
  void erase(std::string_view key);
  // Everything goes (a tenant was dropped).
  void clear();

 private:
  struct Shard {
    std::mutex mutex;
    // The keys are views into the entries.
    boost::unordered_flat_map<std::string_view, boost::intrusive_ptr<Entry>> byKey;
    std::vector<Entry*> clock;  // null: a free slot
    std::vector<uint32_t> freeSlots;
    size_t hand = 0;
    size_t bytes = 0;
    uint64_t writes = 0;  // writes so far (the tickets)
  };
  Shard& shard(std::string_view key);
  void store(Shard& s, std::string_view key, std::string_view value);  // s.mutex held
  void drop(Shard& s, std::string_view key);                           // s.mutex held
  void evictOne(Shard& s);                                             // s.mutex held, s not empty

  size_t shardCapacity_;
  std::array<Shard, 16> shards_;
};

}  // namespace allmende::store
