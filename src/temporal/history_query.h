// The temporal query engine: which instances of an entity's history a
// temporal query selects. It works on store::Store's history operations only
// (a range scan per attribute and datasetId), so any store backend serves it.
//
// With timeproperty observedAt (the default) the store's order is the time
// order: a time range and lastN are one bounded scan. An instance without
// observedAt counts at the time it was recorded (its modifiedAt, or deletedAt
// for a deletion). With createdAt, modifiedAt or deletedAt, a series is read
// whole and filtered: instances without that member are not selected.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.h"
#include "query/temporal_q.h"
#include "store/store.h"

namespace allmende::temporal {

// The selected instances of one attribute's datasetId, ordered by the time property.
struct Series {
  std::string attribute;
  std::string datasetId;  // "" = the default instance
  std::vector<store::HistoryInstance> instances;
};

struct HistoryRequest {
  query::TemporalQ q;
  std::optional<std::set<std::string>> attrs;       // expanded IRIs; nullopt = every attribute
  std::optional<std::set<std::string>> datasetIds;  // "@none" = the default instance; nullopt = all
  Deadline* deadline = nullptr;  // checked per instance read (throws DeadlineExceeded); null = none
  boost::json::storage_ptr storage = {};  // where readHistory's instances are made (default: the heap)
};

// The time of an instance for a time property, or nullopt if it has none.
std::optional<int64_t> instanceTime(const store::HistoryInstance& instance,
                                    query::TimeProperty property);
std::optional<int64_t> instanceTime(const store::HistoryValue& value, query::TimeProperty property);

// The (attribute, datasetId) series of the entity the request's attrs and
// datasetIds select, in attribute then datasetId order. `attributeMatched` (if
// given) is set when the entity has history of at least one requested attribute.
std::vector<std::pair<std::string, std::string>> selectedSeries(const store::Store& store,
                                                                std::string_view tenant,
                                                                std::string_view id,
                                                                const HistoryRequest& request,
                                                                bool* attributeMatched = nullptr);

// Calls visit for each instance of one series that q selects, in the order of
// its time property, until visit returns false (visit may move the instance
// away; it is not used after the call). Record is store::HistoryInstance (with its instanceId if
// `instanceIds`, made in `storage`) or store::HistoryValue (what aggregation reads). Streamed from
// the store for observedAt without lastN or spans; otherwise the selected instances are
// gathered first.
template <typename Record>
void forEachInstance(const store::Store& store, std::string_view tenant, std::string_view id,
                     const std::string& attribute, const std::string& datasetId,
                     const query::TemporalQ& q, bool instanceIds,
                     const boost::json::storage_ptr& storage,
                     const std::function<bool(Record&)>& visit);

// The entity's series the request selects, in attribute then datasetId order;
// a series with no selected instance is left out (attributeMatched as for selectedSeries).
std::vector<Series> readHistory(const store::Store& store, std::string_view tenant,
                                std::string_view id, const HistoryRequest& request,
                                bool* attributeMatched = nullptr);

}  // namespace allmende::temporal
