// The stored form of the attribute history (store/history.h) in the "history"
// column family. Keys sort one attribute's instances by time:
//   "H\0<tenant>\0<entity id>\0<attribute IRI>\0<datasetId>\0" time recorded seq
// with time and recorded as 8 bytes (epoch ms, sign bit flipped, big-endian)
// and seq as 4 bytes big-endian (a per-process counter that makes keys of one
// millisecond unique). RocksDB stores the long shared prefix of neighbouring
// keys once per block (prefix compression), so it costs little per instance.
// Entity records: "R\0<tenant>\0<entity id>" -> types, createdAt, deletedAt.
//
// A value: a flags byte; createdAt as a zigzag varint distance from recorded
// (when the instance has one); the instance's other members in the binary
// JSON form of entity_codec.h. Members the key already holds are left out:
// modifiedAt or deletedAt equal to recorded. observedAt stays the text the
// user wrote (answers repeat it as written); the column family's block
// compression takes the repetition out of neighbouring timestamps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/embedded/binary_io.h"
#include "store/embedded/key_dictionary.h"
#include "store/history.h"

namespace allmende::store::history {

// "H\0<tenant>\0", the prefix of all of a tenant's instances.
std::string tenantPrefix(std::string_view tenant);
// "H\0<tenant>\0<id>\0", the prefix of all of an entity's instances.
std::string entityPrefix(std::string_view tenant, std::string_view id);
// entityPrefix + "<attribute>\0": the prefix of one attribute's instances.
std::string attributePrefix(std::string_view tenant, std::string_view id,
                            std::string_view attribute);
// attributePrefix + "<datasetId>\0": the prefix of one datasetId's instances.
std::string seriesPrefix(std::string_view tenant, std::string_view id, std::string_view attribute,
                         std::string_view datasetId);
// The first key after every key that starts with `prefix` (its last byte + 1).
std::string prefixEnd(std::string prefix);
// seriesPrefix + the 8 bytes of a time: where instances at or after timeMs begin.
std::string timeBound(const std::string& seriesPrefix, int64_t timeMs);

// The full key of an instance.
std::string instanceKey(const std::string& seriesPrefix, int64_t timeMs, int64_t recordedMs,
                        uint32_t seq);

// The time of an instance key (any key of the family), or nullopt for an entity record.
std::optional<int64_t> instanceTimeOf(std::string_view key);

// An instance's id is its recording time and sequence (the key's last 12
// bytes), so it stays when a modification moves the instance in time:
// "urn:ngsi-ld:attribute:instance:" and those bytes in hex.
std::string instanceIdOf(std::string_view key);
// The 12 key bytes an instanceId names, or nullopt if it is not one of ours.
std::optional<std::string> instanceIdBytes(std::string_view instanceId);
// The key of the same instance (same id) at another time.
std::string atTime(std::string_view key, size_t seriesPrefixSize, int64_t timeMs);

// Splits the part of a key after entityPrefix into attribute and datasetId;
// false if it is not a history key.
bool splitSeries(std::string_view afterEntityPrefix, std::string_view& attribute,
                 std::string_view& datasetId);

// The value of an instance; names are written by `keys` (binary_io.h).
std::string encodeInstance(const HistoryInstance& instance, binary::KeyWriter& keys);
// Reads the instance stored under `key` (which must start with the seriesPrefix
// of `into`'s attribute and datasetId, already set) with value `value` into
// `into`, its instanceId only if `withId`; throws std::runtime_error on damage.
void decodeInstance(std::string_view key, size_t seriesPrefixSize, std::string_view value,
                    const KeyDictionary& keys, bool withId, HistoryInstance& into);

// Reads only the times and the value member of the instance stored under
// `key` into `into` (a deletion has no value); throws std::runtime_error on damage.
void decodeValue(std::string_view key, size_t seriesPrefixSize, std::string_view value,
                 const KeyDictionary& keys, HistoryValue& into);

// "R\0<tenant>\0<id>" and its prefix for a tenant's records.
std::string entityRecordKey(std::string_view tenant, std::string_view id);
std::string entityRecordPrefix(std::string_view tenant);
std::string encodeEntityRecord(const HistoryEntity& entity);
HistoryEntity decodeEntityRecord(std::string_view id, std::string_view value);

}  // namespace allmende::store::history
