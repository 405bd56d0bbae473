// Temporal pagination (clause 6.3.10): an answer holds at most `limit`
// instances of one entity. When an entity has more, the time range of the
// answer is cut at its limit-th instance in time order (from the newest one
// with lastN), and every entity of the answer is cut to that common range,
// so that the range the answer reports (Content-Range) is complete for all.
//
// An answer is written entity by entity: each entity's series are observed as
// they are read; once one reaches beyond the limit, the answer is made again
// with every entity's series cut (apply) to the common range.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "query/temporal_q.h"
#include "temporal/history_query.h"

namespace allmende::temporal {

struct Cut {
  bool applied = false;
  int64_t startMs = 0, endMs = 0;  // the range the answer holds (start > end with lastN)
};

class InstanceLimit {
 public:
  InstanceLimit(const query::TemporalQ& q, size_t limit) : q_(q), limit_(limit) {}

  // Notes the selected series of one entity of the answer.
  void observe(const std::vector<Series>& series);
  // True once an observed entity has more instances than the limit.
  bool cutting() const { return at_.has_value(); }
  // Cuts an entity's series to the common range (after every entity of the
  // answer was observed); a series it empties stays, with no instances.
  void apply(std::vector<Series>& series);
  // The range the cut entities hold.
  Cut cut() const;

 private:
  int64_t timeOf(const store::HistoryInstance& h) const;

  const query::TemporalQ& q_;
  size_t limit_;
  std::optional<int64_t> at_;  // the common cut time
  // Of the instances apply leaves.
  int64_t lowest_ = std::numeric_limits<int64_t>::max();
  int64_t highest_ = std::numeric_limits<int64_t>::min();
};

// The Content-Range value of a cut: "date-time <start>-<end>/<lastN or *>".
std::string contentRange(const Cut& cut, const query::TemporalQ& q);

}  // namespace allmende::temporal
