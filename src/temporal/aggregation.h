// Aggregated temporal representation (clause 4.5.19, 5.7.3 aggregatedValues):
// per attribute and datasetId, for each requested method, the values
// [[result, periodStart, periodEnd], ...] of consecutive periods of
// aggrPeriodDuration. Periods start at timeAt (timerel after or between),
// else at the series' first selected instance; a period without instances
// is left out. P0D (the default) is one period over the whole range.
// A range of observedAt is aggregated by the store (Store::aggregateHistory: in
// SQL on PostgreSQL, over a scan on the embedded store); other selections, and
// series already in memory (merged from several sources), are folded here
// through store::PeriodFold. Either way only the current period's accumulator
// is in memory (and, for distinctCount, its distinct values).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "temporal/history_query.h"

namespace allmende::temporal {

enum class AggrMethod { TotalCount, DistinctCount, Sum, Avg, Min, Max, Stddev, Sumsq };

struct Aggregation {
  std::vector<AggrMethod> methods;
  int64_t periodMs = 0;  // 0 = the whole range
};

// From aggrMethods ("avg,max"; required) and aggrPeriodDuration (ISO 8601,
// default P0D). Throws ngsi::Error BadRequestData.
Aggregation parseAggregation(std::optional<std::string_view> methods,
                             std::optional<std::string_view> period);

struct AggregatedSeries {
  std::string attribute;
  std::string datasetId;
  std::string_view kind;       // "Property", ...
  boost::json::object values;  // method name -> [[result, start, end], ...]
};

// The aggregation of each selected series that has instances (attributeMatched as for
// selectedSeries).
std::vector<AggregatedSeries> aggregateHistory(const store::Store& store, std::string_view tenant,
                                               std::string_view id, const HistoryRequest& request,
                                               const Aggregation& aggregation,
                                               bool* attributeMatched = nullptr);

// The aggregation of series already read (e.g. merged from several sources,
// temporal/remote_history.h), each oldest first.
std::vector<AggregatedSeries> aggregateSeries(const std::vector<Series>& series, const query::TemporalQ& q,
                                              const Aggregation& aggregation);

}  // namespace allmende::temporal
