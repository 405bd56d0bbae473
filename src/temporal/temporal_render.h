// The temporal representation of an entity (clause 4.5.7 normalized, 4.5.9
// simplified "temporalValues"): the entity's id and types, and per attribute
// its selected instances. Normalized: an array of instances, each with its
// instanceId (and deletedAt for a deletion). Simplified: per datasetId an
// object {"type", "datasetId"?, "<values member>": [[value, time], ...]},
// where time is the instance's time property and the values member follows
// the kind ("values", "objects", "languageMaps", "vocabs", "jsons",
// "valueLists", "objectLists"). Aggregated: see temporal/aggregation.h.
#pragma once

#include <vector>

#include <boost/json.hpp>

#include "jsonld/context.h"
#include "ngsi/render.h"
#include "query/temporal_q.h"
#include "store/history.h"
#include "temporal/aggregation.h"
#include "temporal/history_query.h"

namespace allmende::temporal {

struct TemporalRenderOptions {
  ngsi::RenderOptions base;  // format (normalized or concise), sysAttrs, lang, pick/omit, storage
  bool temporalValues = false;
  query::TimeProperty timeProperty = query::TimeProperty::ObservedAt;
};

boost::json::object renderTemporalEntity(const store::HistoryEntity& entity,
                                         const std::vector<Series>& series,
                                         const jsonld::Context& ctx,
                                         const TemporalRenderOptions& options);

// The aggregated representation: per attribute {"type", "datasetId"?, "<method>": [[result, start,
// end], ...]} (an array of those when the attribute has several datasetIds).
boost::json::object renderAggregatedEntity(const store::HistoryEntity& entity,
                                           const std::vector<AggregatedSeries>& series,
                                           const jsonld::Context& ctx,
                                           const TemporalRenderOptions& options);

}  // namespace allmende::temporal
