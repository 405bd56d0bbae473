// Aggregation periods (store/history.h HistoryAggregation): the values of one
// series, added in time order, folded into consecutive periods; a period is
// handed on when an instance falls into a later one, so only the current
// period (and, for distinct counts, its distinct values) is in memory. The
// embedded store aggregates a range through it (aggregateByScan); the temporal
// query engine folds the series it gathered itself (other time properties,
// lastN, merged sources) through it too.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "store/history.h"

namespace allmende::store {

class Store;

using PeriodVisit = std::function<void(const HistoryPeriod&)>;

class PeriodFold {
 public:
  // Periods of periodMs (0 = one) from originMs (nullopt: the first time added).
  PeriodFold(std::optional<int64_t> originMs, int64_t periodMs, bool distinct, PeriodVisit visit);
  // Adds the value at timeMs (not before the last one added); a deletion (no
  // value) counts for nothing but the period's time.
  void add(int64_t timeMs, const HistoryValue& value);
  // Hands on the last period.
  void finish();

 private:
  void emit();

  std::optional<int64_t> origin_;
  int64_t periodMs_;
  bool distinct_;
  PeriodVisit visit_;
  std::optional<HistoryPeriod> period_;
  int64_t endMs_ = 0;             // where the current period ends (periodMs > 0)
  std::set<std::string> values_;  // the current period's distinct values, as JSON
};

// Store::aggregateHistory over Store::scanHistoryValues. Returns the "type" of
// the first instance aggregated ("" when there was none).
std::string aggregateByScan(const Store& store, std::string_view tenant,
                            const HistoryAggregation& a, const PeriodVisit& visit);

}  // namespace allmende::store
