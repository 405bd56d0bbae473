// A memory resource for JSON values that are made and dropped again and
// again within one request (each entity of a large answer in turn): it hands
// out memory from a list of blocks, like boost::json::monotonic_resource,
// and reset() makes all of it free again without returning it, so the next
// values are made in memory that is already mapped and mostly still in the
// cache. (Boost 1.81's monotonic_resource cannot be reused so: each
// release() doubles the size of the block it takes next.)
//
// Freeing a value made in it does nothing (boost::json skips the destructors
// of values in it); it belongs to one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <boost/json/memory_resource.hpp>
#include <boost/json/storage_ptr.hpp>

namespace allmende {

class ReusableArena final : public boost::json::memory_resource {
 public:
  explicit ReusableArena(std::size_t firstBlock = 64 * 1024) : firstBlock_(firstBlock) {}
  // Makes all memory handed out free again; the values made in it must be gone.
  void reset() {
    current_ = 0;
    used_ = 0;
  }

 private:
  struct Block {
    std::unique_ptr<std::byte[]> data;
    std::size_t size;
  };

  void* do_allocate(std::size_t n, std::size_t align) override;
  void do_deallocate(void*, std::size_t, std::size_t) override {}
  bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }

  std::size_t firstBlock_;
  std::vector<Block> blocks_;  // each at least twice the size of the one before
  std::size_t current_ = 0;    // the block being filled
  std::size_t used_ = 0;       // bytes of it handed out
};

}  // namespace allmende

template <>
struct boost::json::is_deallocate_trivial<allmende::ReusableArena> : std::true_type {};
