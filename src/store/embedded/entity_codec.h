// The stored form of an entity ("E\0<tenant>\0<id>" values): a compact binary
// encoding of its JSON (ngsi/entity.h) in which object keys are numbers from
// the KeyDictionary and numbers are binary, about a third of the JSON text.
// Smaller values mean less to checksum, log, flush and compact on every write
// and no text to scan on every read. Values written as JSON text by earlier
// versions are still read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "store/embedded/key_dictionary.h"

namespace allmende::store {

// Encodes entity. Keys the dictionary has no number for are written as text
// and added to `unnumbered` (for KeyDictionary::assign, so later writes use numbers).
std::string encodeEntity(const boost::json::object& entity, const KeyDictionary::Ids& ids,
                         std::vector<std::string>& unnumbered);

// Decodes a stored value (binary or JSON text) into `storage`; throws
// std::runtime_error on a value it cannot read.
boost::json::object decodeEntity(std::string_view stored, const KeyDictionary& keys,
                                 boost::json::storage_ptr storage = {});

}  // namespace allmende::store
