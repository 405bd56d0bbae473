// What store/history.h declares beside its types.
#include "store/history.h"

#include <algorithm>

#include "ngsi/datetime.h"

namespace allmende::store {

// As the stores decode a stored instance (e.g. history_codec.h's decodeValue).
HistoryValue valueOf(const HistoryInstance& h) {
  HistoryValue v;
  v.timeMs = h.timeMs;
  v.recordedMs = h.recordedMs;
  for (const auto& member : h.instance) {
    const auto& name = member.key();
    const auto& value = member.value();
    auto* time = name == "createdAt"    ? &v.createdAtMs
                 : name == "modifiedAt" ? &v.modifiedAtMs
                 : name == "deletedAt"  ? &v.deletedAtMs
                                        : nullptr;
    if (time) {
      if (value.is_int64()) *time = value.get_int64();
    } else if (name == "type" || name == "expiresAt") {
      if (value.is_string()) (name == "type" ? v.kind : v.expiresAt) = value.get_string();
    } else if (std::find(std::begin(kValueMembers), std::end(kValueMembers), name) !=
               std::end(kValueMembers)) {
      v.value = value;
    }
  }
  if (v.deletedAtMs) v.value.reset();
  return v;
}

bool expired(const HistoryValue& value, int64_t nowMs) {
  if (value.expiresAt.empty()) return false;
  auto at = ngsi::parseDateTime(value.expiresAt);
  return at && *at <= nowMs;
}

}  // namespace allmende::store
