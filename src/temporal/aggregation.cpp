// Aggregation: one accumulator per period, fed instance by instance in time
// order and written out when an instance falls into a later period. Numeric
// methods (sum, avg, min, max, stddev, sumsq) use the instances whose value is
// a number; totalCount counts every instance that has a value, distinctCount
// its distinct values (as JSON text). Deletion instances count for none.
// stddev is the sample standard deviation (0 for a single value).
#include "temporal/aggregation.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"

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

struct Period {
  int64_t start = 0, end = 0;
  size_t count = 0;
  std::set<std::string> distinct;
  size_t numbers = 0;
  double sum = 0, sumsq = 0;
  double min = std::numeric_limits<double>::infinity(),
         max = -std::numeric_limits<double>::infinity();

  void add(const json::value& v, bool distinctValues) {
    ++count;
    if (distinctValues) distinct.insert(json::serialize(v));
    if (!v.is_number()) return;
    double d = v.to_number<double>();
    ++numbers;
    sum += d;
    sumsq += d * d;
    min = std::min(min, d);
    max = std::max(max, d);
  }

  // The method's result, or null when the period has no value it applies to.
  json::value result(AggrMethod m) const {
    switch (m) {
      case AggrMethod::TotalCount:
        return count;
      case AggrMethod::DistinctCount:
        return distinct.size();
      default:
        break;
    }
    if (numbers == 0) return nullptr;
    double n = static_cast<double>(numbers);
    switch (m) {
      case AggrMethod::Sum:
        return sum;
      case AggrMethod::Avg:
        return sum / n;
      case AggrMethod::Min:
        return min;
      case AggrMethod::Max:
        return max;
      case AggrMethod::Sumsq:
        return sumsq;
      case AggrMethod::Stddev:
        return numbers < 2 ? 0.0 : std::sqrt(std::max(0.0, (sumsq - sum * sum / n) / (n - 1)));
      default:
        return nullptr;
    }
  }
};

// A period bound: whole seconds without the ".000" (as observedAt is mostly written).
std::string boundText(int64_t ms) {
  auto text = ngsi::formatDateTime(ms);
  if (ms % 1000 == 0 && text.ends_with(".000Z")) text.replace(text.size() - 5, 5, "Z");
  return text;
}

// Aggregates the values `feed` visits (in time order) of one series.
AggregatedSeries aggregate(const std::string& attribute, const std::string& datasetId, const query::TemporalQ& q,
                           const Aggregation& a, Deadline* deadline,
                           const std::function<void(const std::function<bool(store::HistoryValue&)>&)>& feed) {
  AggregatedSeries out{attribute, datasetId, {}, {}};
  for (auto m : a.methods) out.values[methodName(m)] = json::array();
  std::optional<Period> period;
  int64_t last = 0;
  auto emit = [&] {
    if (!period || period->count == 0) return;
    if (a.periodMs == 0)
      period->end = q.toMs != std::numeric_limits<int64_t>::max() ? q.toMs : last;
    for (auto m : a.methods) {
      auto r = period->result(m);
      if (r.is_null()) continue;
      json::array entry;
      entry.push_back(std::move(r));
      entry.emplace_back(boundText(period->start));
      entry.emplace_back(boundText(period->end));
      out.values[methodName(m)].get_array().push_back(std::move(entry));
    }
  };
  bool distinctValues = std::find(a.methods.begin(), a.methods.end(),
                                  AggrMethod::DistinctCount) != a.methods.end();
  int64_t origin = q.fromMs;
  feed([&](store::HistoryValue& h) {
    if (deadline) deadline->check();
    auto t = instanceTime(h, q.timeProperty).value_or(h.timeMs);
    if (out.kind.empty())
      out.kind = ngsi::kindName(ngsi::kindFromName(h.kind).value_or(ngsi::AttributeKind::Property));
    if (!period && origin == std::numeric_limits<int64_t>::min()) origin = t;
    if (!period || (a.periodMs > 0 && t >= period->end)) {
      emit();
      period.emplace();
      period->start = a.periodMs > 0 ? origin + (t - origin) / a.periodMs * a.periodMs : origin;
      period->end = a.periodMs > 0 ? period->start + a.periodMs : period->start;
    }
    last = t;
    if (h.value) period->add(*h.value, distinctValues);
    return true;
  });
  emit();
  return out;
}

AggregatedSeries aggregateSeries(const store::Store& store, std::string_view tenant,
                                 std::string_view id, const std::string& attribute,
                                 const std::string& datasetId, const query::TemporalQ& q,
                                 const Aggregation& a, Deadline* deadline) {
  return aggregate(attribute, datasetId, q, a, deadline, [&](const std::function<bool(store::HistoryValue&)>& visit) {
    forEachInstance<store::HistoryValue>(store, tenant, id, attribute, datasetId, q, false, {}, visit);
  });
}

// What aggregation reads of an instance of a series.
store::HistoryValue valueOf(const store::HistoryInstance& h) {
  store::HistoryValue v;
  v.timeMs = h.timeMs;
  v.recordedMs = h.recordedMs;
  auto ms = [&h](std::string_view member) -> std::optional<int64_t> {
    auto* m = h.instance.if_contains(member);
    if (m && m->is_int64()) return m->get_int64();
    return std::nullopt;
  };
  v.createdAtMs = ms("createdAt");
  v.modifiedAtMs = ms("modifiedAt");
  v.deletedAtMs = ms("deletedAt");
  auto kind = ngsi::kindOf(h.instance);
  v.kind = std::string(ngsi::kindName(kind));
  if (!v.deletedAtMs)
    if (auto* value = h.instance.if_contains(ngsi::valueMember(kind))) v.value = *value;
  return v;
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
    auto a = aggregate(s.attribute, s.datasetId, q, aggregation, nullptr,
                       [&s](const std::function<bool(store::HistoryValue&)>& visit) {
                         for (const auto& instance : s.instances) {
                           auto v = valueOf(instance);
                           if (!visit(v)) return;
                         }
                       });
    if (!a.kind.empty()) out.push_back(std::move(a));
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
    auto s = aggregateSeries(store, tenant, id, attribute, datasetId, request.q, aggregation,
                             request.deadline);
    if (!s.kind.empty()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace allmende::temporal
