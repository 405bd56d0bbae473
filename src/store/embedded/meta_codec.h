// The stored form of EntityMeta: what the in-memory indexes need of an entity,
// kept next to it ("M\0<tenant>\0<id>") so that a restart rebuilds the indexes
// from these small records instead of parsing every entity.
#pragma once

#include <string>
#include <string_view>

#include "store/store.h"

namespace allmende::store {

std::string encodeMeta(const EntityMeta& meta);
// Throws std::runtime_error on a record it cannot read.
EntityMeta decodeMeta(std::string_view text);

}  // namespace allmende::store
