// Instance limit: the times of an entity's selected instances, sorted, give
// its cut; the earliest cut (the latest with lastN) is applied to all.
#include "temporal/instance_limit.h"

#include <algorithm>
#include <limits>

#include "ngsi/datetime.h"

namespace allmende::temporal {

namespace {

int64_t timeOf(const store::HistoryInstance& h, const query::TemporalQ& q) {
  return instanceTime(h, q.timeProperty).value_or(h.timeMs);
}

}  // namespace

Cut limitInstances(std::vector<std::vector<Series>*>& entities, const query::TemporalQ& q,
                   size_t limit) {
  Cut cut;
  bool newest = q.lastN.has_value();
  std::optional<int64_t> at;  // the common cut time
  for (auto* series : entities) {
    std::vector<int64_t> times;
    for (const auto& s : *series)
      for (const auto& h : s.instances) times.push_back(timeOf(h, q));
    if (times.size() <= limit || limit == 0) continue;
    if (newest)
      std::nth_element(times.begin(), times.begin() + static_cast<ptrdiff_t>(limit - 1),
                       times.end(), std::greater<>());
    else
      std::nth_element(times.begin(), times.begin() + static_cast<ptrdiff_t>(limit - 1),
                       times.end());
    int64_t t = times[limit - 1];
    at = !at ? t : newest ? std::max(*at, t) : std::min(*at, t);
  }
  if (!at) return cut;
  int64_t lowest = std::numeric_limits<int64_t>::max(),
          highest = std::numeric_limits<int64_t>::min();
  for (auto* series : entities)
    for (auto& s : *series) {
      std::erase_if(s.instances, [&](const store::HistoryInstance& h) {
        return newest ? timeOf(h, q) < *at : timeOf(h, q) > *at;
      });
      for (const auto& h : s.instances) {
        lowest = std::min(lowest, timeOf(h, q));
        highest = std::max(highest, timeOf(h, q));
      }
    }
  cut.applied = true;
  if (newest) {
    cut.startMs = q.toMs != std::numeric_limits<int64_t>::max() ? q.toMs : highest;
    cut.endMs = *at;
  } else {
    cut.startMs = q.fromMs != std::numeric_limits<int64_t>::min() ? q.fromMs : lowest;
    cut.endMs = *at;
  }
  return cut;
}

std::string contentRange(const Cut& cut, const query::TemporalQ& q) {
  return "date-time " + ngsi::formatDateTime(cut.startMs) + "-" + ngsi::formatDateTime(cut.endMs) +
         "/" + (q.lastN ? std::to_string(*q.lastN) : "*");
}

}  // namespace allmende::temporal
