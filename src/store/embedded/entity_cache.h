// A bounded memory of stored entity values (their encoded form, as RocksDB
// holds them) by store key, least recently used out first: a point read of an
// entity held here needs no RocksDB look-up (index block seek, block cache,
// data block search: about 3 µs each at 100k entities). The store's write path
// keeps it: after a write is in RocksDB, the written value replaces the old
// one (a deletion erases it). A value read from RocksDB is added only if no
// write to the same shard happened since the read began (its Ticket), so a
// read that raced a write never leaves the older value behind.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <boost/unordered/unordered_flat_map.hpp>

namespace allmende::store {

class EntityCache {
 public:
  using Value = std::shared_ptr<const std::string>;
  using Ticket = uint64_t;

  // capacityBytes: keys and values together (0: nothing is kept).
  explicit EntityCache(size_t capacityBytes);

  // The value under key, or null; then `ticket` is set, to be given to add()
  // with the value read from RocksDB afterwards (refused if a write came between).
  Value find(std::string_view key, Ticket& ticket);
  // A value read from RocksDB after find() set `ticket`.
  void add(std::string_view key, std::string_view value, Ticket ticket);
  // A value just written to RocksDB (the stripe lock of the key is held).
  void put(std::string_view key, std::string value);
  // A key just deleted in RocksDB.
  void erase(std::string_view key);
  // Everything goes (a tenant was dropped).
  void clear();

 private:
  struct Shard {
    std::mutex mutex;
    std::list<std::pair<std::string, Value>> recent;  // most recently used first
    boost::unordered_flat_map<std::string_view, std::list<std::pair<std::string, Value>>::iterator> byKey;
    size_t bytes = 0;
    uint64_t writes = 0;  // writes so far (the tickets)
  };
  Shard& shard(std::string_view key);
  void store(Shard& s, std::string_view key, Value value);  // s.mutex held
  void drop(Shard& s, std::string_view key);                // s.mutex held

  size_t shardCapacity_;
  std::array<Shard, 16> shards_;
};

}  // namespace allmende::store
