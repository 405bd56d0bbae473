// The request deadline: it passes after its limit, is noticed within a stride
// of checks, and a zero limit never passes.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "common/deadline.h"

using allmende::Deadline;
using allmende::DeadlineExceeded;
using namespace std::chrono_literals;

namespace {

// Checks up to n times; true if a check threw.
bool passesWithin(Deadline& d, int n) {
  try {
    for (int i = 0; i < n; ++i) d.check();
  } catch (const DeadlineExceeded& e) {
    EXPECT_EQ(e.limit(), 1ms);
    return true;
  }
  return false;
}

}  // namespace

TEST(Deadline, PassesAfterItsLimitWithinAStrideOfChecks) {
  Deadline d(1ms);
  EXPECT_FALSE(passesWithin(d, 15));  // the clock is not read before the 16th check
  std::this_thread::sleep_for(3ms);
  EXPECT_TRUE(passesWithin(d, 16));
  EXPECT_TRUE(passesWithin(d, 16));  // and stays passed
}

TEST(Deadline, DoesNotPassBeforeItsLimit) {
  Deadline d(60s);
  for (int i = 0; i < 100000; ++i) d.check();
}

TEST(Deadline, ZeroLimitNeverPasses) {
  Deadline d(0ms);
  std::this_thread::sleep_for(2ms);
  for (int i = 0; i < 1000; ++i) d.check();
}
