// Aggregation: what each period's instances add up to (store::HistoryPeriod,
// from the store or from store::PeriodFold) turned into the methods' results.
// Numeric methods (sum, avg, min, max, stddev, sumsq) use the instances whose
// value is a number; totalCount counts every instance that has a value,
// distinctCount its distinct values. Deletion instances count for none.
// stddev is the sample standard deviation (0 for a single value).
#include "temporal/aggregation.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "store/history_periods.h"

namespace allmende::temporal {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::pair<AggrMethod, std::string_view> kMethods[] = {
    {AggrMethod::TotalCount, "totalCount"},
    {AggrMethod::DistinctCount, "distinctCount"},
    {AggrMethod::Sum, "sum"},
    {AggrMethod::Avg, "avg"},
    {AggrMethod::Min, "min"},
    {AggrMethod::Max, "max"},
    {AggrMethod::Stddev, "stddev"},
    {AggrMethod::Sumsq, "sumsq"}};

std::string_view methodName(AggrMethod m) {
  for (const auto& [method, name] : kMethods)
    if (method == m) return name;
  return "";
}

// The method's result for the period, or null when it has no value the method applies to.
json::value result(const store::HistoryPeriod& p, AggrMethod m) {
  switch (m) {
    case AggrMethod::TotalCount:
      return p.values;
    case AggrMethod::DistinctCount:
      return p.distinct;
    default:
      break;
  }
  if (p.numbers == 0) return nullptr;
  double n = static_cast<double>(p.numbers);
  switch (m) {
    case AggrMethod::Sum:
      return p.sum;
    case AggrMethod::Avg:
      return p.sum / n;
    case AggrMethod::Min:
      return p.min;
    case AggrMethod::Max:
      return p.max;
    case AggrMethod::Sumsq:
      return p.sumsq;
    case AggrMethod::Stddev:
      return p.numbers < 2 ? 0.0
                           : std::sqrt(std::max(0.0, (p.sumsq - p.sum * p.sum / n) / (n - 1)));
    default:
      return nullptr;
  }
}

// A period bound: whole seconds without the ".000" (as observedAt is mostly written).
std::string boundText(int64_t ms) {
  auto text = ngsi::formatDateTime(ms);
  if (ms % 1000 == 0 && text.ends_with(".000Z")) text.replace(text.size() - 5, 5, "Z");
  return text;
}

// One series' aggregation, filled period by period.
class SeriesOut {
 public:
  SeriesOut(std::string attribute, std::string datasetId, const query::TemporalQ& q,
            const Aggregation& a)
      : q_(q), a_(a), out_{std::move(attribute), std::move(datasetId), {}, {}} {
    for (auto m : a.methods) out_.values[methodName(m)] = json::array();
  }

  bool distinct() const {
    return std::find(a_.methods.begin(), a_.methods.end(), AggrMethod::DistinctCount) !=
           a_.methods.end();
  }
  std::optional<int64_t> origin() const {
    if (q_.fromMs == std::numeric_limits<int64_t>::min()) return std::nullopt;
    return q_.fromMs;
  }

  // Adds the period's results (none for a period of deletions only). P0D's
  // one period ends where the range does, else at its last instance.
  void add(const store::HistoryPeriod& p) {
    seen_ = true;
    if (p.values == 0) return;
    int64_t end = a_.periodMs > 0                                  ? p.startMs + a_.periodMs
                  : q_.toMs != std::numeric_limits<int64_t>::max() ? q_.toMs
                                                                   : p.lastMs;
    for (auto m : a_.methods) {
      auto r = result(p, m);
      if (r.is_null()) continue;
      json::array entry;
      entry.push_back(std::move(r));
      entry.emplace_back(boundText(p.startMs));
      entry.emplace_back(boundText(end));
      out_.values[methodName(m)].get_array().push_back(std::move(entry));
    }
  }

  // The series, with the kind of its first instance; nullopt when it had no instance.
  std::optional<AggregatedSeries> finish(std::string_view kind) {
    if (!seen_) return std::nullopt;
    out_.kind = ngsi::kindName(ngsi::kindFromName(kind).value_or(ngsi::AttributeKind::Property));
    return std::move(out_);
  }

 private:
  const query::TemporalQ& q_;
  const Aggregation& a_;
  AggregatedSeries out_;
  bool seen_ = false;
};

// Folds the values `feed` visits (in the time property's order) into periods.
std::optional<AggregatedSeries> fold(
    SeriesOut& out, const query::TemporalQ& q, const Aggregation& a, Deadline* deadline,
    const std::function<void(const std::function<bool(store::HistoryValue&)>&)>& feed) {
  store::PeriodFold periods(out.origin(), a.periodMs, out.distinct(),
                            [&out](const store::HistoryPeriod& p) { out.add(p); });
  std::string kind;
  bool first = true;
  feed([&](store::HistoryValue& v) {
    if (deadline) deadline->check();
    if (first) kind = v.kind;
    first = false;
    periods.add(instanceTime(v, q.timeProperty).value_or(v.timeMs), v);
    return true;
  });
  periods.finish();
  return out.finish(kind);
}

// One stored series: a range of observedAt is aggregated by the store (in its
// database, where it has one); other selections are read and folded here.
std::optional<AggregatedSeries> aggregateStored(const store::Store& store, std::string_view tenant,
                                                std::string_view id, const std::string& attribute,
                                                const std::string& datasetId,
                                                const query::TemporalQ& q, const Aggregation& a,
                                                Deadline* deadline) {
  SeriesOut out(attribute, datasetId, q, a);
  if (q.timeProperty == query::TimeProperty::ObservedAt && q.spans.empty() && !q.lastN) {
    store::HistoryAggregation request{{std::string(id), attribute, datasetId, q.fromMs, q.toMs},
                                      out.origin(),
                                      a.periodMs,
                                      out.distinct(),
                                      ngsi::nowMs(),
                                      deadline};
    auto kind = store.aggregateHistory(tenant, request,
                                       [&out](const store::HistoryPeriod& p) { out.add(p); });
    return out.finish(kind);
  }
  return fold(out, q, a, deadline, [&](const std::function<bool(store::HistoryValue&)>& visit) {
    forEachInstance<store::HistoryValue>(store, tenant, id, attribute, datasetId, q, false, {}, visit);
  });
}

}  // namespace

Aggregation parseAggregation(std::optional<std::string_view> methods,
                             std::optional<std::string_view> period) {
  Aggregation a;
  if (!methods || methods->empty())
    fail(ErrorType::BadRequestData, "aggregatedValues needs aggrMethods");
  std::string_view rest = *methods;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto name = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    bool known = false;
    for (const auto& [method, text] : kMethods)
      if (text == name) {
        known = true;
        if (std::find(a.methods.begin(), a.methods.end(), method) == a.methods.end())
          a.methods.push_back(method);
      }
    if (!known)
      fail(ErrorType::BadRequestData,
           "unknown aggrMethods value '" + std::string(name) +
               "' (totalCount, distinctCount, sum, avg, min, max, stddev, sumsq)");
  }
  if (period) {
    auto ms = ngsi::parseDuration(*period);
    if (!ms || *ms < 0)
      fail(ErrorType::BadRequestData,
           "aggrPeriodDuration '" + std::string(*period) + "' is not an ISO 8601 duration");
    a.periodMs = *ms;
  }
  return a;
}

std::vector<AggregatedSeries> aggregateSeries(const std::vector<Series>& series, const query::TemporalQ& q,
                                              const Aggregation& aggregation) {
  std::vector<AggregatedSeries> out;
  for (const auto& s : series) {
    SeriesOut series(s.attribute, s.datasetId, q, aggregation);
    auto a = fold(series, q, aggregation, nullptr,
                  [&s](const std::function<bool(store::HistoryValue&)>& visit) {
                    for (const auto& instance : s.instances) {
                      auto v = store::valueOf(instance);
                      if (!visit(v)) return;
                    }
                  });
    if (a) out.push_back(std::move(*a));
  }
  return out;
}

std::vector<AggregatedSeries> aggregateHistory(const store::Store& store, std::string_view tenant,
                                               std::string_view id, const HistoryRequest& request,
                                               const Aggregation& aggregation,
                                               bool* attributeMatched) {
  std::vector<AggregatedSeries> out;
  for (const auto& [attribute, datasetId] :
       selectedSeries(store, tenant, id, request, attributeMatched)) {
    auto s = aggregateStored(store, tenant, id, attribute, datasetId, request.q, aggregation,
                             request.deadline);
    if (s) out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace allmende::temporal
