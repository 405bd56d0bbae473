// Paging of list answers (clause 5.5.9, 6.3.10): limit, offset and count
// parameters with the spec's errors, and the NGSILD-Results-Count and
// prev/next Link headers of the answer.
#pragma once

#include <cstddef>

#include "api/call.h"

namespace allmende::api {

struct Paging {
  size_t limit = 0;
  size_t offset = 0;
  bool count = false;
};

// Reads limit (default and maximum from the broker's limits; TooManyResults
// beyond it), offset and count; limit=0 only with count=true.
Paging pagingParams(const Call& call);

// Adds NGSILD-Results-Count (with count=true) and the prev/next links (next
// when `more` results follow) to an answer.
void addPageHeaders(const Call& call, http::Response& res, const Paging& paging, bool more, size_t total,
                    MediaType media);

}  // namespace allmende::api
