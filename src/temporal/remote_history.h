// Distributed temporal reads (docs/federation.md): what a context source
// answered to a temporal retrieve or query (the normalized temporal
// representation) as history series, and their merge with this broker's own
// series, so that one entity's history from several brokers is rendered,
// limited and paged as one.
#pragma once

#include <vector>

#include <boost/json.hpp>

#include "jsonld/context.h"
#include "query/temporal_q.h"
#include "store/history.h"
#include "temporal/history_query.h"

namespace allmende::temporal {

// The entity of a source's temporal entity: its id and types (expanded with ctx).
store::HistoryEntity remoteEntity(const boost::json::object& raw, const jsonld::Context& ctx);

// Its attributes' instances as series (names expanded with ctx), in attribute
// then datasetId order, each oldest first; an instance that is not valid
// NGSI-LD is left out.
std::vector<Series> remoteSeries(const boost::json::object& raw, const jsonld::Context& ctx);

// Adds the instances of `more` to `into` series by series: an instance
// observed at a time the series already has is the same instance (the one in
// `into` stays); each series stays oldest first, and with q's lastN keeps its
// newest lastN.
void mergeSeries(std::vector<Series>& into, std::vector<Series> more, const query::TemporalQ& q);

}  // namespace allmende::temporal
