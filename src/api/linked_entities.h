// Linked entity retrieval on retrieve and query (clause 4.5.23, v1.8+): the
// join, joinLevel and containedBy parameters (containedBy names entities the
// caller has already retrieved while walking the graph, which are then not
// joined again), and rendering with the request's tenant and @context
// (ngsi/linked_render.h).
#pragma once

#include <set>
#include <string>

#include <boost/json.hpp>

#include "api/call.h"
#include "ngsi/linked_render.h"
#include "ngsi/render.h"

namespace allmende::api {

using ngsi::Join;

// From the join, joinLevel and containedBy parameters; BadRequestData when malformed, or when
// the pick/omit of options reaches into linked entities without (or beyond) the join.
Join joinParams(const Call& call, const ngsi::RenderOptions& options);

// The rendered entity with its linked entities joined in (an object for inline,
// an array for flat).
boost::json::value renderJoined(Call& call, const boost::json::object& entity,
                                const ngsi::RenderOptions& options, const Join& join);

}  // namespace allmende::api
