// The stored form of an entity ("E\0<tenant>\0<id>" values): the entity's index
// record (meta_codec.h), then a compact binary encoding of its JSON
// (ngsi/entity.h) in which object keys are numbers from the KeyDictionary and
// numbers are binary, about a third of the JSON text. Smaller values mean less
// to checksum, log, flush and compact on every write and no text to scan on
// every read; one key per entity (index record inside) halves the keys to
// insert, flush and compact. Values written by earlier versions (JSON text, or
// without the index record) are still read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "store/embedded/binary_io.h"
#include "store/embedded/key_dictionary.h"

namespace allmende::store {

// Encodes entity after its index record `facts`; keys and the strings of
// "type" members are written by `keys` (binary_io.h).
std::string encodeEntity(const boost::json::object& entity, std::string_view facts, binary::KeyWriter& keys);

// The binary form of one JSON object alone (what encodeEntity writes after the
// index record), appended to `out`; the history's values use it too.
void encodeObject(std::string& out, const boost::json::object& object, binary::KeyWriter& keys);
// Decodes what encodeObject wrote (all of `in`); throws std::runtime_error on damage.
boost::json::object decodeObject(std::string_view in, const KeyDictionary& keys,
                                 boost::json::storage_ptr storage = {});

// Reads what encodeObject wrote: whole (object(), as Boost.JSON's parser
// builds a DOM: each object made from its members at once), or member by
// member without building the object (memberCount(), then per member name()
// and either memberValue() or skip()). Throws std::runtime_error on damage.
class ObjectReader {
 public:
  ObjectReader(std::string_view in, const KeyDictionary& keys, boost::json::storage_ptr storage = {});

  boost::json::object object();
  uint64_t memberCount();
  std::string_view name();
  boost::json::value memberValue();
  void skip(int depth = 1);

 private:
  void value(int depth);
  void members(int depth);

  binary::Input in_;
  std::optional<int64_t> lastInt_;  // for SameInt64: the int64 read last in this value
  boost::json::storage_ptr storage_;
  unsigned char temp_[4096];
  boost::json::value_stack stack_;
};

// The index record a stored value starts with; nullopt for a value of an
// earlier version. Throws std::runtime_error on a damaged value.
std::optional<std::string_view> factsOf(std::string_view stored);

// Decodes a stored value (binary or JSON text, with or without an index
// record) into `storage`; throws std::runtime_error on a value it cannot read.
boost::json::object decodeEntity(std::string_view stored, const KeyDictionary& keys,
                                 boost::json::storage_ptr storage = {});

}  // namespace allmende::store
