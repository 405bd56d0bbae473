// A time bound on the work of one request (--request-time-limit). A request
// makes one Deadline when it starts and hands it to the loops that examine
// candidates (the entities of a query, the instances of a history); they call
// check() once per candidate, which throws DeadlineExceeded once the time has
// passed, so the request stops where it is and is answered with a
// ProblemDetails instead of running on. The clock is read every kStride
// checks only, so a check costs a counter decrement.
//
// A Deadline belongs to one request and is used by one thread at a time.
#pragma once

#include <chrono>
#include <stdexcept>

namespace allmende {

// Thrown by Deadline::check(); carries the limit that was passed.
class DeadlineExceeded : public std::runtime_error {
 public:
  explicit DeadlineExceeded(std::chrono::milliseconds limit);
  std::chrono::milliseconds limit() const { return limit_; }

 private:
  std::chrono::milliseconds limit_;
};

class Deadline {
 public:
  // Passes `limit` from now; a zero limit never passes.
  explicit Deadline(std::chrono::milliseconds limit);

  // Counts one examined candidate; throws DeadlineExceeded if the deadline
  // has passed (noticed at the latest kStride checks after it did).
  void check() {
    if (--untilClock_ > 0) return;
    untilClock_ = kStride;
    checkClock();
  }

 private:
  static constexpr int kStride = 16;
  void checkClock() const;

  std::chrono::milliseconds limit_;
  std::chrono::steady_clock::time_point at_;
  int untilClock_ = kStride;
};

}  // namespace allmende
