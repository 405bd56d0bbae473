// A Snapshot (clause 5.2.41, 5.16): a frozen copy of the results of one or
// more queries, made once and then only read. Its entities are copied into a
// store tenant of their own (storeTenant), which no client tenant name can
// equal (client names never start with '.'), so that reads scoped to the
// snapshot (NGSILD-Snapshot) run the normal read path against that tenant.
// This file holds the record: its members, how the API shows it, and its
// stored form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "store/store.h"

namespace allmende::snapshots {

namespace json = boost::json;

inline constexpr int64_t kDefaultPriority = 5;
inline constexpr int64_t kMinPriority = 1, kMaxPriority = 10;

// Values of snapshotStatus and of resultStatus in snapshotQueriesDetails.
namespace status {
inline constexpr std::string_view preparing = "preparing";  // the copy is being made
inline constexpr std::string_view success = "success";      // every query copied at least one entity
inline constexpr std::string_view partial = "partial";      // some did, others were empty or failed
inline constexpr std::string_view empty = "empty";          // no query failed, none found anything
inline constexpr std::string_view failed = "failed";        // no query copied anything, one failed
}  // namespace status

struct Snapshot {
  std::string tenant;  // the client tenant it belongs to ("" = default)
  std::string id;
  std::string storeTenant;  // where its entities are
  json::array queries;      // snapshotQueries, as the client gave them
  std::string status = std::string(status::preparing);
  json::array queryDetails;  // snapshotQueriesDetails: an ExecutionResultDetails per query
  int64_t priority = kDefaultPriority;
  std::optional<std::string> lifetime;  // snapshotLifetime as given (ISO 8601 duration)
  int64_t createdAtMs = 0;
  int64_t modifiedAtMs = 0;
  int64_t lastUsedAtMs = 0;
  int64_t expiresAtMs = 0;  // 0 = never (no snapshotLifetime)

  bool expired(int64_t nowMs) const { return expiresAtMs != 0 && expiresAtMs <= nowMs; }
};

// The snapshot as the API shows it (Snapshot data type; timestamps in ISO 8601).
json::object render(const Snapshot& s);

// The snapshotStatus that per-query results (resultStatus values) add up to.
std::string_view overallStatus(const json::array& queryDetails);

// The stored form (JSON text) and back; parseStored throws std::runtime_error
// on a damaged document.
std::string serialize(const Snapshot& s);
Snapshot parseStored(const store::StoredDocument& stored);

}  // namespace allmende::snapshots
