// The aggregation periods' fold: sums, sums of squares, bounds and counts per
// period, in doubles; a value is a number when its JSON is one.
#include "store/history_periods.h"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "store/store.h"

namespace allmende::store {

PeriodFold::PeriodFold(std::optional<int64_t> originMs, int64_t periodMs, bool distinct,
                       PeriodVisit visit)
    : origin_(originMs), periodMs_(periodMs), distinct_(distinct), visit_(std::move(visit)) {}

void PeriodFold::add(int64_t timeMs, const HistoryValue& value) {
  if (!origin_) origin_ = timeMs;
  if (!period_ || (periodMs_ > 0 && timeMs >= endMs_)) {
    emit();
    period_.emplace();
    period_->startMs =
        periodMs_ > 0 ? *origin_ + (timeMs - *origin_) / periodMs_ * periodMs_ : *origin_;
    endMs_ = period_->startMs + periodMs_;
  }
  auto& p = *period_;
  p.lastMs = timeMs;
  if (!value.value) return;
  ++p.values;
  if (distinct_) values_.insert(boost::json::serialize(*value.value));
  if (!value.value->is_number()) return;
  double d = value.value->to_number<double>();
  p.min = p.numbers == 0 ? d : std::min(p.min, d);
  p.max = p.numbers == 0 ? d : std::max(p.max, d);
  ++p.numbers;
  p.sum += d;
  p.sumsq += d * d;
}

void PeriodFold::finish() {
  emit();
  period_.reset();
}

void PeriodFold::emit() {
  if (!period_) return;
  period_->distinct = values_.size();
  values_.clear();
  visit_(*period_);
}

std::string aggregateByScan(const Store& store, std::string_view tenant,
                            const HistoryAggregation& a, const PeriodVisit& visit) {
  std::string kind;
  bool first = true;
  PeriodFold fold(a.originMs, a.periodMs, a.distinct, visit);
  HistoryScan scan = a.scan;
  scan.newestFirst = false;
  store.scanHistoryValues(tenant, scan, [&](HistoryValue& v) {
    if (a.deadline) a.deadline->check();
    if (expired(v, a.nowMs)) return true;
    if (first) kind = v.kind;
    first = false;
    fold.add(v.timeMs, v);
    return true;
  });
  fold.finish();
  return kind;
}

}  // namespace allmende::store
