// The stored form of EntityMeta: what the in-memory indexes need of an entity,
// kept next to it ("M\0<tenant>\0<id>") so that a restart rebuilds the indexes
// from these small records instead of decoding every entity. Binary, with the
// type, attribute and kind names as KeyDictionary numbers; records of earlier
// versions (JSON text) are still read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/embedded/binary_io.h"
#include "store/embedded/key_dictionary.h"
#include "store/store.h"

namespace allmende::store {

// Whether the record was written by this version (its numbers say which are
// sole); records of earlier versions are rewritten once at open.
bool isCurrentMeta(std::string_view record);
// Names are written by `keys` (binary_io.h).
std::string encodeMeta(const EntityMeta& meta, binary::KeyWriter& keys);
// Throws std::runtime_error on a record it cannot read.
EntityMeta decodeMeta(std::string_view record, const KeyDictionary& keys);

}  // namespace allmende::store
