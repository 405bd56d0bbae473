// The numbers of the object keys in stored entities ("K\0<id>" records): the
// stored form (entity_codec.h) writes a key's number instead of its text, so
// that an attribute IRI of 50 bytes costs one or two. Numbers are assigned once
// and never change; a number is persisted before any value can use it. Keys
// beyond kMaxKeys stay as text in the values (the dictionary does not grow
// without bound when values carry ever new keys).
//
// Thread-safety: snapshot() and key() never block; assign() is serialised.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/string_hash.h"

namespace allmende::store {

class KeyDictionary {
 public:
  static constexpr uint32_t kMaxKeys = 16384;

  using Ids = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

  // Adds a persisted key at open, before any other use (ids in any order,
  // without gaps once all are loaded).
  void load(uint32_t id, std::string key);

  // The key -> number map as it is now (immutable; replaced, not changed, by assign).
  std::shared_ptr<const Ids> snapshot() const { return ids_.load(); }

  // Numbers the keys that have none (while there is room): persist(id, key) is
  // called for each new one, all before any of them becomes visible.
  void assign(const std::vector<std::string>& keys,
              const std::function<void(const std::vector<std::pair<uint32_t, std::string>>&)>& persist);

  // The key numbered id; throws std::runtime_error for a number not assigned.
  std::string_view key(uint32_t id) const;

 private:
  static constexpr uint32_t kChunk = 4096;
  void publish(uint32_t id, std::string key);

  std::mutex writer_;
  std::atomic<std::shared_ptr<const Ids>> ids_{std::make_shared<const Ids>()};
  std::array<std::unique_ptr<std::string[]>, kMaxKeys / kChunk> chunks_;
  std::atomic<uint32_t> size_{0};  // keys [0, size_) are readable
};

}  // namespace allmende::store
