// The temporal query (clause 4.11, 5.2.21 TemporalQuery): timerel (before,
// after, between) with timeAt and endTimeAt, the time property it applies to
// (observedAt by default, createdAt, modifiedAt, deletedAt) and lastN. Parsed
// from query parameters or a TemporalQuery body member; bad input is
// BadRequestData naming the parameter.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace allmende::query {

enum class TimeProperty { ObservedAt, CreatedAt, ModifiedAt, DeletedAt };

struct TemporalQ {
  // The instances whose time property lies in [fromMs, toMs): before is
  // (-inf, timeAt), after is [timeAt, +inf), between is [timeAt, endTimeAt).
  int64_t fromMs = std::numeric_limits<int64_t>::min();
  int64_t toMs = std::numeric_limits<int64_t>::max();
  bool timerel = false;  // a timerel was given
  TimeProperty timeProperty = TimeProperty::ObservedAt;
  std::optional<size_t> lastN;  // only the last N instances (by time) of each attribute
  // When the instances must lie in several parts of [fromMs, toMs) (the times an
  // entity was in the scope scopeQ asks for, temporal/history_filter.h): those
  // parts, ascending and disjoint. Empty = all of [fromMs, toMs).
  std::vector<std::pair<int64_t, int64_t>> spans;
};

// The name of a time property as the API writes it ("observedAt", ...).
std::string_view timePropertyName(TimeProperty p);

// From the texts of timerel, timeAt, endTimeAt, timeproperty and lastN (nullopt
// = parameter absent). Throws ngsi::Error BadRequestData.
TemporalQ parseTemporalQ(std::optional<std::string_view> timerel,
                         std::optional<std::string_view> timeAt,
                         std::optional<std::string_view> endTimeAt,
                         std::optional<std::string_view> timeproperty,
                         std::optional<std::string_view> lastN);

}  // namespace allmende::query
