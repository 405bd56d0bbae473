// Linked entity retrieval (clause 4.5.23, v1.8+): join=inline puts the entity a
// Relationship points to into the Relationship ("entity" member; in the
// simplified form it replaces the object id), join=flat returns the entity and
// its linked entities as an array. joinLevel bounds the depth (default 1);
// containedBy names entities the caller has already retrieved while walking the
// graph (a federated broker passes it on), which are then not joined again.
#pragma once

#include <set>
#include <string>

#include <boost/json.hpp>

#include "api/call.h"
#include "ngsi/render.h"

namespace allmende::api {

struct Join {
  enum class Kind { None, Inline, Flat } kind = Kind::None;
  int level = 1;
  std::set<std::string> containedBy;
};

// From the join, joinLevel and containedBy parameters; BadRequestData when malformed, or when
// the pick/omit of options reaches into linked entities without (or beyond) the join.
Join joinParams(const Call& call, const ngsi::RenderOptions& options);

// The rendered entity with its linked entities joined in (an object for inline,
// an array for flat).
boost::json::value renderJoined(Call& call, const boost::json::object& entity,
                                const ngsi::RenderOptions& options, const Join& join);

}  // namespace allmende::api
