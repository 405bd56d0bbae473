// History selection: one store scan per series, bounded by time (and lastN,
// read newest first) when the time property is the store's order, filtered
// and sorted otherwise; instances of a transient attribute past its
// expiresAt are left out.
#include "temporal/history_query.h"

#include <algorithm>
#include <limits>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"

namespace allmende::temporal {

using query::TimeProperty;

namespace {

std::optional<int64_t> msMember(const boost::json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (v && v->is_int64()) return v->get_int64();
  return std::nullopt;
}

// A transient attribute's instances carry its expiresAt: once it has passed,
// they are no longer its history (4.22; conformance 422_07_02; for a
// store::HistoryValue, store::expired).
bool expired(const store::HistoryInstance& h, int64_t nowMs) {
  return ngsi::isExpired(h.instance, nowMs);
}

void storeScan(const store::Store& store, std::string_view tenant, const store::HistoryScan& scan,
               const std::function<bool(store::HistoryInstance&)>& visit) {
  store.scanHistory(tenant, scan, visit);
}

void storeScan(const store::Store& store, std::string_view tenant, const store::HistoryScan& scan,
               const std::function<bool(store::HistoryValue&)>& visit) {
  store.scanHistoryValues(tenant, scan, visit);
}

// The scan's instances that have not expired, at most `limit`, until visit returns false.
template <typename Record>
void scan(const store::Store& store, std::string_view tenant, const store::HistoryScan& scan,
          size_t limit, const std::function<bool(Record&)>& visit) {
  int64_t now = ngsi::nowMs();
  size_t taken = 0;
  storeScan(store, tenant, scan, std::function<bool(Record&)>([&](Record& r) {
              if (expired(r, now)) return true;
              return visit(r) && ++taken < limit;
            }));
}

// Visits the last lastN (all without it) of the records, oldest first, until visit returns false.
template <typename Record>
void visitLast(std::vector<Record>& selected, std::optional<size_t> lastN,
               const std::function<bool(Record&)>& visit) {
  size_t from = lastN && selected.size() > *lastN ? selected.size() - *lastN : 0;
  for (size_t i = from; i < selected.size(); ++i)
    if (!visit(selected[i])) return;
}

}  // namespace

std::optional<int64_t> instanceTime(const store::HistoryValue& v, TimeProperty property) {
  switch (property) {
    case TimeProperty::ObservedAt:
      return v.timeMs;
    case TimeProperty::CreatedAt:
      return v.createdAtMs;
    case TimeProperty::ModifiedAt:
      return v.modifiedAtMs;
    case TimeProperty::DeletedAt:
      return v.deletedAtMs;
  }
  return std::nullopt;
}

std::optional<int64_t> instanceTime(const store::HistoryInstance& h, TimeProperty property) {
  switch (property) {
    case TimeProperty::ObservedAt:
      return h.timeMs;
    case TimeProperty::CreatedAt:
      return msMember(h.instance, "createdAt");
    case TimeProperty::ModifiedAt:
      return msMember(h.instance, "modifiedAt");
    case TimeProperty::DeletedAt:
      return msMember(h.instance, "deletedAt");
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> selectedSeries(const store::Store& store,
                                                                std::string_view tenant,
                                                                std::string_view id,
                                                                const HistoryRequest& request,
                                                                bool* attributeMatched) {
  std::vector<std::pair<std::string, std::string>> out;
  if (attributeMatched) *attributeMatched = false;
  for (auto& [attribute, datasetId] : store.historyAttributes(tenant, id)) {
    if (request.attrs && !request.attrs->contains(attribute)) continue;
    if (attributeMatched) *attributeMatched = true;
    if (request.datasetIds &&
        !request.datasetIds->contains(datasetId.empty() ? "@none" : datasetId))
      continue;
    out.emplace_back(std::move(attribute), std::move(datasetId));
  }
  return out;
}

template <typename Record>
void forEachInstance(const store::Store& store, std::string_view tenant, std::string_view id,
                     const std::string& attribute, const std::string& datasetId,
                     const query::TemporalQ& q, bool instanceIds,
                     const boost::json::storage_ptr& storage,
                     const std::function<bool(Record&)>& visit) {
  if (!q.spans.empty()) {  // each part read as a range of its own, lastN over all of them
    std::vector<Record> selected;
    for (auto [from, to] : q.spans) {
      query::TemporalQ part = q;
      part.spans.clear();
      part.lastN.reset();
      part.fromMs = from;
      part.toMs = to;
      forEachInstance<Record>(store, tenant, id, attribute, datasetId, part, instanceIds, storage,
                              [&selected](Record& h) {
                                selected.push_back(std::move(h));
                                return true;
                              });
    }
    return visitLast(selected, q.lastN, visit);
  }
  store::HistoryScan scan{std::string(id), attribute, datasetId};
  scan.instanceIds = instanceIds;
  scan.storage = storage;
  constexpr size_t all = std::numeric_limits<size_t>::max();
  size_t limit = all;
  if (q.timeProperty == TimeProperty::ObservedAt) {
    scan.fromMs = q.fromMs;
    scan.toMs = q.toMs;
    if (!q.lastN) return temporal::scan(store, tenant, scan, all, visit);
    scan.newestFirst = true;
    limit = *q.lastN;
  }
  std::vector<Record> selected;
  temporal::scan<Record>(store, tenant, scan, limit, [&](Record& h) {
    auto t = instanceTime(h, q.timeProperty);
    if (t && *t >= q.fromMs && *t < q.toMs) selected.push_back(std::move(h));
    return true;
  });
  std::stable_sort(selected.begin(), selected.end(), [&q](const auto& a, const auto& b) {
    return *instanceTime(a, q.timeProperty) < *instanceTime(b, q.timeProperty);
  });
  visitLast(selected, q.lastN, visit);
}

template void forEachInstance(const store::Store&, std::string_view, std::string_view,
                              const std::string&, const std::string&, const query::TemporalQ&,
                              bool, const boost::json::storage_ptr&,
                              const std::function<bool(store::HistoryInstance&)>&);
template void forEachInstance(const store::Store&, std::string_view, std::string_view,
                              const std::string&, const std::string&, const query::TemporalQ&,
                              bool, const boost::json::storage_ptr&,
                              const std::function<bool(store::HistoryValue&)>&);

std::vector<Series> readHistory(const store::Store& store, std::string_view tenant,
                                std::string_view id, const HistoryRequest& request,
                                bool* attributeMatched) {
  std::vector<Series> out;
  for (auto& [attribute, datasetId] :
       selectedSeries(store, tenant, id, request, attributeMatched)) {
    Series s{std::move(attribute), std::move(datasetId), {}};
    forEachInstance<store::HistoryInstance>(store, tenant, id, s.attribute, s.datasetId,
                                            request.q, true, request.storage,
                                            [&](store::HistoryInstance& h) {
                                              if (request.deadline) request.deadline->check();
                                              s.instances.push_back(std::move(h));
                                              return true;
                                            });
    if (!s.instances.empty()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace allmende::temporal
