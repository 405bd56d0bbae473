// Temporal query parsing: each parameter checked on its own, then together
// (timerel needs timeAt, between needs endTimeAt after timeAt).
#include "query/temporal_q.h"

#include <charconv>
#include <string>

#include "ngsi/datetime.h"
#include "ngsi/error.h"

namespace allmende::query {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

int64_t dateTime(std::string_view name, std::string_view text) {
  auto ms = ngsi::parseDateTime(text);
  if (!ms)
    fail(ErrorType::BadRequestData,
         std::string(name) + " is not an ISO 8601 date-time: '" + std::string(text) + "'");
  return *ms;
}

}  // namespace

std::string_view timePropertyName(TimeProperty p) {
  switch (p) {
    case TimeProperty::CreatedAt:
      return "createdAt";
    case TimeProperty::ModifiedAt:
      return "modifiedAt";
    case TimeProperty::DeletedAt:
      return "deletedAt";
    case TimeProperty::ObservedAt:
      break;
  }
  return "observedAt";
}

TemporalQ parseTemporalQ(std::optional<std::string_view> timerel,
                         std::optional<std::string_view> timeAt,
                         std::optional<std::string_view> endTimeAt,
                         std::optional<std::string_view> timeproperty,
                         std::optional<std::string_view> lastN) {
  TemporalQ q;
  if (timeproperty) {
    bool known = false;
    for (auto p : {TimeProperty::ObservedAt, TimeProperty::CreatedAt, TimeProperty::ModifiedAt,
                   TimeProperty::DeletedAt})
      if (*timeproperty == timePropertyName(p)) {
        q.timeProperty = p;
        known = true;
      }
    if (!known)
      fail(ErrorType::BadRequestData,
           "timeproperty must be observedAt, createdAt, modifiedAt or deletedAt, not '" +
               std::string(*timeproperty) + "'");
  }
  if (lastN) {
    size_t n = 0;
    auto [end, ec] = std::from_chars(lastN->data(), lastN->data() + lastN->size(), n);
    if (ec != std::errc() || end != lastN->data() + lastN->size() || n == 0)
      fail(ErrorType::BadRequestData,
           "lastN must be a positive integer, not '" + std::string(*lastN) + "'");
    q.lastN = n;
  }
  if (!timerel) {
    if (timeAt || endTimeAt) fail(ErrorType::BadRequestData, "timeAt and endTimeAt need timerel");
    return q;
  }
  q.timerel = true;
  if (*timerel != "before" && *timerel != "after" && *timerel != "between")
    fail(ErrorType::BadRequestData,
         "timerel must be before, after or between, not '" + std::string(*timerel) + "'");
  if (!timeAt || timeAt->empty())
    fail(ErrorType::BadRequestData, "timerel=" + std::string(*timerel) + " needs timeAt");
  int64_t at = dateTime("timeAt", *timeAt);
  if (*timerel == "before") {
    q.toMs = at;
  } else if (*timerel == "after") {
    q.fromMs = at;
  } else {
    if (!endTimeAt || endTimeAt->empty())
      fail(ErrorType::BadRequestData, "timerel=between needs endTimeAt");
    int64_t end = dateTime("endTimeAt", *endTimeAt);
    if (end <= at) fail(ErrorType::BadRequestData, "endTimeAt must be later than timeAt");
    q.fromMs = at;
    q.toMs = end;
  }
  return q;
}

}  // namespace allmende::query
