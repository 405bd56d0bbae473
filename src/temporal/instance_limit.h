// Temporal pagination (clause 6.3.10): an answer holds at most `limit`
// instances of one entity. When an entity has more, the time range of the
// answer is cut at its limit-th instance in time order (from the newest one
// with lastN), and every entity of the answer is cut to that common range,
// so that the range the answer reports (Content-Range) is complete for all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "query/temporal_q.h"
#include "temporal/history_query.h"

namespace allmende::temporal {

struct Cut {
  bool applied = false;
  int64_t startMs = 0, endMs = 0;  // the range the answer holds (start > end with lastN)
};

// Cuts the series of the entities (one vector per entity) as described above.
Cut limitInstances(std::vector<std::vector<Series>*>& entities, const query::TemporalQ& q,
                   size_t limit);

// The Content-Range value of a cut: "date-time <start>-<end>/<lastN or *>".
std::string contentRange(const Cut& cut, const query::TemporalQ& q);

}  // namespace allmende::temporal
