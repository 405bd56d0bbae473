// ISO 8601 date-times as NGSI-LD uses them: parsing user input (observedAt,
// expiresAt, ...) to epoch milliseconds, and formatting system timestamps
// (createdAt, modifiedAt) as UTC "YYYY-MM-DDThh:mm:ss.sssZ".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace allmende::ngsi {

// Epoch milliseconds of an ISO 8601 date-time "YYYY-MM-DDThh:mm[:ss[.fff...]][Z|±hh:mm]",
// or nullopt if it is not one.
std::optional<int64_t> parseDateTime(std::string_view text);
// "YYYY-MM-DDThh:mm:ss.sssZ".
std::string formatDateTime(int64_t epochMs);
// The current time in epoch milliseconds.
int64_t nowMs();

}  // namespace allmende::ngsi
