// The deadline of one request: a time point, read against the monotonic clock.
#include "common/deadline.h"

#include <string>

namespace allmende {

DeadlineExceeded::DeadlineExceeded(std::chrono::milliseconds limit)
    : std::runtime_error("the request ran longer than " + std::to_string(limit.count()) + " ms"),
      limit_(limit) {}

Deadline::Deadline(std::chrono::milliseconds limit)
    : limit_(limit), at_(std::chrono::steady_clock::now() + limit) {}

void Deadline::checkClock() const {
  if (limit_.count() > 0 && std::chrono::steady_clock::now() >= at_) throw DeadlineExceeded(limit_);
}

}  // namespace allmende
