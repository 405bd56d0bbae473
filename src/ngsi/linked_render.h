// Rendering with linked entities (clause 4.5.23, v1.8+): join=inline puts the
// entity a Relationship points to into the Relationship ("entity" member; in
// the simplified form it replaces the object id), join=flat gives the entity
// and its linked entities as an array. joinLevel bounds the depth (default 1);
// containedBy names entities the caller already has, which are not joined.
// Used by retrieve and query (api/linked_entities.h) and by notifications.
// An inline join repeats an entity once per path that reaches it, so entities
// whose relationships branch back into each other would grow as 2^joinLevel:
// one rendering inlines at most kMaxJoined entities (TooComplexQuery beyond).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "jsonld/context.h"
#include "ngsi/render.h"

namespace allmende::ngsi {

struct Join {
  enum class Kind { None, Inline, Flat } kind = Kind::None;
  int level = 1;
  std::set<std::string> containedBy;
};

inline constexpr size_t kMaxJoined = 1000;

// Reads a linked entity (nullopt if it does not exist).
using EntityReader = std::function<std::optional<json::object>(std::string_view id)>;

// The rendered entity with its linked entities joined in (an object for inline
// and none, an array for flat when anything was linked). Throws TooComplexQuery
// when an inline join would hold more than kMaxJoined entities.
json::value renderJoined(const json::object& entity, const jsonld::Context& ctx, const RenderOptions& options,
                         const Join& join, const EntityReader& read);

}  // namespace allmende::ngsi
