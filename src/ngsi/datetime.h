// ISO 8601 date-times as NGSI-LD uses them: parsing user input (observedAt,
// expiresAt, ...) to epoch milliseconds, and formatting system timestamps
// (createdAt, modifiedAt) as UTC "YYYY-MM-DDThh:mm:ss.sssZ"; ISO 8601
// durations (entityMapLifetime, aggrPeriodDuration).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace allmende::ngsi {

// Epoch milliseconds of an ISO 8601 date-time "YYYY-MM-DDThh:mm[:ss[.fff...]][Z|±hh:mm]",
// or nullopt if it is not one.
std::optional<int64_t> parseDateTime(std::string_view text);
// Milliseconds of an ISO 8601 duration "PnYnMnWnDTnHnMnS" (fractions allowed;
// a year counts 365 days, a month 30), or nullopt if it is not one. P0D is 0.
std::optional<int64_t> parseDuration(std::string_view text);
// "YYYY-MM-DDThh:mm:ss.sssZ".
std::string formatDateTime(int64_t epochMs);
// The current time in epoch milliseconds.
int64_t nowMs();

}  // namespace allmende::ngsi
