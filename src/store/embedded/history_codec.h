// The stored form of the attribute history (store/history.h) in the "history"
// column family. Keys sort one attribute's blocks (history_blocks.h) by time:
//   "H\0<tenant>\0<entity id>\0<attribute IRI>\0<datasetId>\0" block start
// with the block start as 8 bytes (epoch ms, sign bit flipped, big-endian).
// RocksDB stores the long shared prefix of neighbouring keys once per data
// block (prefix compression). Entity records: "R\0<tenant>\0<entity id>" ->
// types, createdAt, deletedAt. "V" -> the layout's version (history_column.h).
//
// An instance (a block record's bytes): a flags byte; createdAt as a zigzag
// varint distance from recorded (when the instance has one); the instance's
// other members in the binary JSON form of entity_codec.h. Members the record
// already holds are left out: modifiedAt or deletedAt equal to recorded.
// observedAt stays the text the user wrote (answers repeat it as written); the
// column family's compression takes the repetition out of neighbouring ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "store/embedded/binary_io.h"
#include "store/embedded/history_blocks.h"
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
// seriesPrefix + the 8 bytes of a block start: the key of that block, and
// where blocks at or after it begin.
std::string blockKey(const std::string& seriesPrefix, int64_t startMs);
// The block start of a block key (any key of the family), or nullopt for another record.
std::optional<int64_t> blockTimeOf(std::string_view key);
// The 8 bytes of a time in a key, read back.
int64_t readTime(std::string_view eightBytes);

// An instance's id is its recording time and sequence, so it stays when a
// modification moves the instance in time: "urn:ngsi-ld:attribute:instance:"
// and the 8 + 4 bytes of both (big-endian, as in keys) in hex.
void writeInstanceId(int64_t recordedMs, uint32_t seq, boost::json::string& out);
// The recording time and sequence an instanceId names, or nullopt if it is not one of ours.
std::optional<std::pair<int64_t, uint32_t>> parseInstanceId(std::string_view instanceId);

// Splits the part of a key after entityPrefix into attribute and datasetId;
// false if it is not a history key.
bool splitSeries(std::string_view afterEntityPrefix, std::string_view& attribute,
                 std::string_view& datasetId);

// The value of an instance; names are written by `keys` (binary_io.h).
std::string encodeInstance(const HistoryInstance& instance, binary::KeyWriter& keys);
// Reads the instance of an Add record (`into`'s attribute and datasetId are
// already set) into `into` (its instance made in the storage it has), its
// instanceId only if `withId`; throws std::runtime_error on damage.
void decodeInstance(const BlockRecord& record, const KeyDictionary& keys, bool withId,
                    HistoryInstance& into);

// Reads only the times and the value member of an Add record's instance into
// `into` (a deletion has no value); throws std::runtime_error on damage.
void decodeValue(const BlockRecord& record, const KeyDictionary& keys, HistoryValue& into);

// "R\0<tenant>\0<id>" and its prefix for a tenant's records.
std::string entityRecordKey(std::string_view tenant, std::string_view id);
std::string entityRecordPrefix(std::string_view tenant);
std::string encodeEntityRecord(const HistoryEntity& entity);
HistoryEntity decodeEntityRecord(std::string_view id, std::string_view value);

}  // namespace allmende::store::history
