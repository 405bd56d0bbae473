// ReusableArena: the blocks are filled in turn; a request that does not fit
// in what is left of the current block goes to the next block that holds it
// (the blocks skipped stay free until reset), or to a new block at the end.
#include "common/reusable_arena.h"

#include <algorithm>
#include <cstdint>

namespace allmende {

namespace {

// The offset at or after `used` where `align` (a power of two) is met in a block at `base`.
std::size_t aligned(const std::byte* base, std::size_t used, std::size_t align) {
  auto at = reinterpret_cast<std::uintptr_t>(base) + used;
  return used + (-at & (align - 1));
}

}  // namespace

void* ReusableArena::do_allocate(std::size_t n, std::size_t align) {
  for (; current_ < blocks_.size(); ++current_, used_ = 0) {
    auto& b = blocks_[current_];
    auto at = aligned(b.data.get(), used_, align);
    if (at + n <= b.size) {
      used_ = at + n;
      return b.data.get() + at;
    }
  }
  std::size_t size = blocks_.empty() ? firstBlock_ : blocks_.back().size * 2;
  size = std::max(size, n + align);
  blocks_.push_back({std::make_unique_for_overwrite<std::byte[]>(size), size});
  current_ = blocks_.size() - 1;
  auto& b = blocks_.back();
  auto at = aligned(b.data.get(), 0, align);
  used_ = at + n;
  return b.data.get() + at;
}

}  // namespace allmende
