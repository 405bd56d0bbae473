// Attribute-instance history (the temporal API's data, clause 4.5.6): what a
// write records besides the entity, and what the store gives back when a
// temporal query reads it. The store keeps one attribute's instances (per
// datasetId) ordered by their time, so that a range of time is one
// sequential read; the temporal query engine (src/temporal/) works above
// this, like the entity query engine works above store::EntityQuery.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "common/deadline.h"

namespace allmende::store {

// One attribute instance in the history. `instance` is the attribute instance
// in the internal form (ngsi/entity.h: type, value member, observedAt,
// unitCode, createdAt/modifiedAt in epoch ms, subs, ...); a deletion carries
// "deletedAt" (epoch ms) and the NGSI-LD null as its value.
struct HistoryInstance {
  // Written with the instance; a scan leaves both empty (they are the scan's).
  std::string attribute;  // expanded IRI; "scope" for the entity's scope
  std::string datasetId;  // "" = the default instance
  // What orders the instances of one attribute: observedAt when the instance
  // has one, else the time it was recorded (modifiedAt, or deletedAt).
  int64_t timeMs = 0;
  int64_t recordedMs = 0;  // when the write that recorded it happened
  boost::json::object instance;
  // Given by the store (unique per entity and attribute); empty when writing, and in a scan
  // that does not ask for it. A scan makes it, like the instance, in the scan's storage.
  boost::json::string instanceId;
};

// What an aggregation reads of an instance (Store::scanHistoryValues): its
// times and its value, without decoding the instance's other members.
struct HistoryValue {
  int64_t timeMs = 0;  // as HistoryInstance::timeMs
  int64_t recordedMs = 0;
  std::optional<int64_t> createdAtMs, modifiedAtMs, deletedAtMs;
  std::string kind;  // the instance's "type": "Property", ...
  // The member holding the value (value, object, languageMap, vocab, json,
  // valueList or objectList); none for a deletion.
  std::optional<boost::json::value> value;
  std::string expiresAt;  // a transient attribute's expiresAt (ISO 8601); "" = none
};

// The members of an instance that hold its value, one per attribute kind.
inline constexpr std::string_view kValueMembers[] = {"value", "object",    "languageMap", "vocab",
                                                     "json",  "valueList", "objectList"};

// What an aggregation reads of the instance.
HistoryValue valueOf(const HistoryInstance& instance);

// Whether the value's instance is of a transient attribute whose expiresAt has
// passed: it is no longer the attribute's history (4.22).
bool expired(const HistoryValue& value, int64_t nowMs);

// The entity an attribute history belongs to, kept even after the entity is
// deleted (its history stays queryable until deleted through the temporal API).
struct HistoryEntity {
  std::string id;
  std::vector<std::string> types;  // expanded IRIs, as last recorded
  int64_t createdAtMs = 0;
  int64_t deletedAtMs = 0;  // 0 = not deleted
};

// What one write records in the history, beside its entity change; written in
// the same durable batch.
struct HistoryWrite {
  std::vector<HistoryInstance> instances;
  std::optional<HistoryEntity> entity;  // the entity's record as the write leaves it
  // The record is the one the entity had before the write (same types and
  // createdAt, not deleted): a store that knows it has stored it may leave it out.
  bool entityAsBefore = false;
  // An instance replaces those of its series stored at the same time (the
  // temporal API's create and append: sending an instance again corrects it).
  bool replaceSameTime = false;
};

// A range of one attribute's history: instances with from <= timeMs < to of
// one datasetId, oldest first (or newest first).
struct HistoryScan {
  std::string entityId;
  std::string attribute;
  std::string datasetId;
  int64_t fromMs = std::numeric_limits<int64_t>::min();
  int64_t toMs = std::numeric_limits<int64_t>::max();
  bool newestFirst = false;
  bool instanceIds = false;  // fill HistoryInstance::instanceId (else it stays empty)
  boost::json::storage_ptr storage = {};  // where scanHistory's instances are made (default: the heap)
};

// An aggregation of one range of one attribute's history (Store::aggregateHistory):
// its instances, oldest first, in consecutive periods of periodMs from originMs
// (nullopt: from the first instance's time); periodMs 0 = one period. Instances
// expired at nowMs are left out.
struct HistoryAggregation {
  HistoryScan scan;  // newestFirst, instanceIds and storage are not used
  std::optional<int64_t> originMs;
  int64_t periodMs = 0;
  bool distinct = false;  // count each period's distinct values
  int64_t nowMs = 0;
  Deadline* deadline = nullptr;  // checked per instance read; null = none
};

// What the instances of one period of an aggregation add up to.
struct HistoryPeriod {
  int64_t startMs = 0;
  int64_t lastMs = 0;     // the time of its last instance (a deletion's too)
  uint64_t values = 0;    // its instances with a value (not deletions)
  uint64_t distinct = 0;  // the distinct values among them (as JSON), when asked
  uint64_t numbers = 0;   // those whose value is a number, and of these:
  double sum = 0, sumsq = 0;
  double min = 0, max = 0;  // (when numbers > 0)
};

}  // namespace allmende::store
