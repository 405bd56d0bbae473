// The reusable arena: memory is aligned and does not overlap, reset() hands
// the same memory out again (however often it is reset, it does not grow),
// requests larger than a block are met, and JSON values can live in it.
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/reusable_arena.h"

using allmende::ReusableArena;

namespace {

// Makes `sizes` with alignment 16, each filled with its index; the addresses.
std::vector<std::byte*> fill(ReusableArena& arena, const std::vector<size_t>& sizes) {
  std::vector<std::byte*> out;
  for (size_t i = 0; i < sizes.size(); ++i) {
    auto* p = static_cast<std::byte*>(arena.allocate(sizes[i], 16));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
    std::memset(p, static_cast<int>(i), sizes[i]);
    out.push_back(p);
  }
  for (size_t i = 0; i < sizes.size(); ++i)
    for (size_t k = 0; k < sizes[i]; ++k)
      EXPECT_EQ(out[i][k], static_cast<std::byte>(i)) << "an allocation was overwritten";
  return out;
}

}  // namespace

TEST(ReusableArena, HandsOutTheSameMemoryAfterReset) {
  ReusableArena arena(1024);
  std::vector<size_t> sizes = {100, 700, 300, 5000, 8, 20000, 64};
  auto first = fill(arena, sizes);
  for (int round = 0; round < 50; ++round) {
    arena.reset();
    ASSERT_EQ(fill(arena, sizes), first) << "round " << round;
  }
}

TEST(ReusableArena, MeetsRequestsLargerThanItsBlocks) {
  ReusableArena arena(64);
  auto big = fill(arena, {1 << 20, 10, 3 << 20});
  std::set<std::byte*> distinct(big.begin(), big.end());
  EXPECT_EQ(distinct.size(), 3u);
}

TEST(ReusableArena, HoldsJsonValuesMadeAgainAndAgain) {
  ReusableArena arena(256);
  for (int round = 0; round < 100; ++round) {
    {
      boost::json::object o(&arena);
      for (int i = 0; i < 200; ++i) o["member" + std::to_string(i)] = std::string(40, 'x');
      ASSERT_EQ(o.size(), 200u);
      EXPECT_EQ(o.at("member199").as_string().size(), 40u);
    }
    arena.reset();
  }
}
