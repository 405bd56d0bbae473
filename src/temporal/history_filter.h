// The value filters of a temporal query evaluated on the history (clause
// 5.7.4.4 S2-S4): which entities match, and in which parts of the requested
// time their instances are selected.
//
// scopeQ (4.18, 4.19): a scope is valid from the time it was set until it is
// replaced or deleted. The entity's scope instances, in time order, each
// valid until the next, give the spans of the requested time in which a scope
// matching scopeQ was valid; an entity without such a span does not match,
// and only instances within the spans are selected (a scope set mid-window
// bounds them). q and the geo-query are then evaluated on the attribute
// instances within the spans (the whole requested time without scopeQ): a
// stand-in entity holds, for each attribute they name, all those instances
// (deletions left out), and the evaluators of query/q.h and
// query/entity_selector.h decide as on a current entity, so a term matches
// when one instance does. lastN bounds the instances shown, not those tested.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "query/temporal_q.h"
#include "query/value_filters.h"
#include "store/history.h"
#include "store/store.h"
#include "temporal/history_query.h"

namespace allmende::temporal {

struct HistoryMatch {
  query::TemporalQ q;  // the request's temporal query, narrowed to the spans
  // With scopeQ: the scope instance valid when the first span starts, if it was set
  // before it (shown with the entity, so that the scope that matched is seen).
  std::optional<store::HistoryInstance> scopeAtStart;
};

// How the entity's history matches the filters within q's time; nullopt if it does not.
std::optional<HistoryMatch> matchHistory(const store::Store& store, std::string_view tenant,
                                         const store::HistoryEntity& entity,
                                         const query::ValueFilters& filters,
                                         const query::TemporalQ& q);

// Puts the match's scopeAtStart first in the series of the scope (made when it
// has none), if the request selects the scope (attrs, datasetId).
void showScopeAtStart(std::vector<Series>& series, const HistoryRequest& request,
                      const HistoryMatch& match);

}  // namespace allmende::temporal
