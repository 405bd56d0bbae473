// What the audit trail records of an entity write (docs/security.md): who
// (the author's subject, client and request id), when (the recording time of
// the history the write records, so that an instanceId of the temporal API
// leads to the write's record; else the write's time), the operation (create,
// update, delete) and the attributes whose instances it adds, changes or
// removes (those of the history it records; with no history, those that
// differ).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "store/store.h"

namespace allmende::ngsi {

store::AuditRecord auditRecord(const store::AuditRecord& who, std::string_view id,
                               const std::optional<store::Entity>& before,
                               const store::EntityWrite& write, int64_t now);

}  // namespace allmende::ngsi
