// The audit record of an entity write (audit_capture.h).
#include "ngsi/audit_capture.h"

#include <set>

#include "ngsi/entity.h"

namespace allmende::ngsi {

namespace {

const json::object* attributesOf(const store::Entity* entity) {
  if (!entity) return nullptr;
  auto* a = entity->if_contains(key::attrs);
  return a && a->is_object() ? &a->get_object() : nullptr;
}

}  // namespace

store::AuditRecord auditRecord(const store::AuditRecord& who, std::string_view id,
                               const std::optional<store::Entity>& before,
                               const store::EntityWrite& write, int64_t now) {
  store::AuditRecord r = who;
  r.resource = std::string(id);
  bool deletes = write.kind == store::EntityWrite::Kind::Delete;
  r.operation = !before ? "create" : deletes ? "delete" : "update";
  r.timeMs = now;
  std::set<std::string> changed;
  if (write.history && !write.history->instances.empty()) {
    // The history holds an instance of every attribute the write adds, changes or removes.
    r.timeMs = write.history->instances.front().recordedMs;
    for (const auto& i : write.history->instances) changed.insert(i.attribute);
  } else {  // no history recorded (--history off): what differs
    const auto* was = attributesOf(before ? &*before : nullptr);
    const auto* is = attributesOf(deletes ? nullptr : &write.entity);
    if (was)
      for (const auto& [name, value] : *was)
        if (auto* now = is ? is->if_contains(name) : nullptr; !now || *now != value)
          changed.emplace(name);
    if (is)
      for (const auto& [name, _] : *is)
        if (!was || !was->contains(name)) changed.emplace(name);
  }
  r.attributes.assign(changed.begin(), changed.end());
  return r;
}

}  // namespace allmende::ngsi
