// Instance limit: the times of an entity's selected instances, sorted, give
// its cut; the earliest cut (the latest with lastN) is applied to all.
#include "temporal/instance_limit.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "ngsi/datetime.h"

namespace allmende::temporal {

int64_t InstanceLimit::timeOf(const store::HistoryInstance& h) const {
  return instanceTime(h, q_.timeProperty).value_or(h.timeMs);
}

void InstanceLimit::observe(const std::vector<Series>& series) {
  size_t count = 0;
  for (const auto& s : series) count += s.instances.size();
  if (count <= limit_ || limit_ == 0) return;
  std::vector<int64_t> times;
  times.reserve(count);
  for (const auto& s : series)
    for (const auto& h : s.instances) times.push_back(timeOf(h));
  bool newest = q_.lastN.has_value();
  auto nth = times.begin() + static_cast<ptrdiff_t>(limit_ - 1);
  if (newest)
    std::nth_element(times.begin(), nth, times.end(), std::greater<>());
  else
    std::nth_element(times.begin(), nth, times.end());
  at_ = !at_ ? *nth : newest ? std::max(*at_, *nth) : std::min(*at_, *nth);
}

void InstanceLimit::apply(std::vector<Series>& series) {
  if (!at_) return;
  bool newest = q_.lastN.has_value();
  for (auto& s : series) {
    std::erase_if(s.instances, [&](const store::HistoryInstance& h) {
      return newest ? timeOf(h) < *at_ : timeOf(h) > *at_;
    });
    for (const auto& h : s.instances) {
      lowest_ = std::min(lowest_, timeOf(h));
      highest_ = std::max(highest_, timeOf(h));
    }
  }
}

Cut InstanceLimit::cut() const {
  Cut cut;
  if (!at_) return cut;
  cut.applied = true;
  cut.endMs = *at_;
  if (q_.lastN)
    cut.startMs = q_.toMs != std::numeric_limits<int64_t>::max() ? q_.toMs : highest_;
  else
    cut.startMs = q_.fromMs != std::numeric_limits<int64_t>::min() ? q_.fromMs : lowest_;
  return cut;
}

std::string contentRange(const Cut& cut, const query::TemporalQ& q) {
  return "date-time " + ngsi::formatDateTime(cut.startMs) + "-" + ngsi::formatDateTime(cut.endMs) +
         "/" + (q.lastN ? std::to_string(*q.lastN) : "*");
}

}  // namespace allmende::temporal
