// Key numbering for the stored form: a copy-on-write map for writers' look-ups
// (new keys are rare once an application's attributes are known) and chunks
// that never move for readers.
#include "store/embedded/key_dictionary.h"

#include <algorithm>
#include <stdexcept>

namespace allmende::store {

void KeyDictionary::publish(uint32_t id, std::string key) {
  auto& chunk = chunks_[id / kChunk];
  if (!chunk) chunk = std::make_unique<std::string[]>(kChunk);
  chunk[id % kChunk] = std::move(key);
}

void KeyDictionary::load(uint32_t id, std::string key) {
  if (id >= kMaxKeys) throw std::runtime_error("unreadable key record " + std::to_string(id));
  std::lock_guard lock(writer_);
  // At open nobody reads yet: the map is extended in place (a copy per key
  // would make opening quadratic in the number of keys).
  std::const_pointer_cast<Ids>(ids_.load())->emplace(key, id);
  publish(id, std::move(key));
  if (id >= size_.load()) size_.store(id + 1, std::memory_order_release);
}

void KeyDictionary::assign(const std::vector<std::string>& keys,
                           const std::function<void(const std::vector<std::pair<uint32_t, std::string>>&)>& persist) {
  if (size_.load() >= kMaxKeys) return;  // full: keys stay text
  std::lock_guard lock(writer_);
  auto current = ids_.load();
  std::vector<std::pair<uint32_t, std::string>> added;
  uint32_t next = size_.load();
  for (const auto& k : keys) {
    if (next >= kMaxKeys) break;
    if (current->contains(k) ||
        std::any_of(added.begin(), added.end(), [&k](const auto& a) { return a.second == k; }))
      continue;
    added.emplace_back(next++, k);
  }
  if (added.empty()) return;
  persist(added);  // throws if the records could not be written: nothing becomes visible
  auto ids = std::make_shared<Ids>(*current);
  for (const auto& [id, key] : added) {
    ids->emplace(key, id);
    publish(id, key);
  }
  size_.store(next, std::memory_order_release);
  ids_.store(std::move(ids));
}

std::string_view KeyDictionary::key(uint32_t id) const {
  if (id >= size_.load(std::memory_order_acquire)) throw std::runtime_error("stored value names unknown key " + std::to_string(id));
  return chunks_[id / kChunk][id % kChunk];
}

}  // namespace allmende::store
