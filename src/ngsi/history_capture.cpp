// History capture: a walk over the attributes of the states before and after
// a write, matching instances by datasetId. Instances are compared as JSON,
// so every change (modifiedAt included: a write of the same value is still a
// write) records an instance, and an untouched attribute records nothing.
#include "ngsi/history_capture.h"

#include "ngsi/datetime.h"
#include "ngsi/entity.h"

namespace allmende::ngsi {

namespace {

constexpr std::string_view kNull = "urn:ngsi-ld:null";

const json::object* attrsOf(const store::Entity* entity) {
  if (!entity) return nullptr;
  auto* a = entity->if_contains(key::attrs);
  return a && a->is_object() ? &a->get_object() : nullptr;
}

const json::object* findInstance(const json::value* instances, std::string_view datasetId) {
  if (!instances || !instances->is_array()) return nullptr;
  for (const auto& inst : instances->get_array())
    if (inst.is_object() && datasetIdOf(inst.get_object()) == datasetId) return &inst.get_object();
  return nullptr;
}

std::vector<std::string> typesOf(const store::Entity& entity) {
  std::vector<std::string> out;
  if (auto* t = entity.if_contains(key::type); t && t->is_array())
    for (const auto& v : t->get_array())
      if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

int64_t msMember(const json::object& o, std::string_view name, int64_t otherwise) {
  auto* v = o.if_contains(name);
  return v && v->is_int64() ? v->get_int64() : otherwise;
}

// Instances of every attribute of `from` that `to` lacks (by datasetId), as deletions.
void addDeletions(const json::object* from, const json::object* to, int64_t now,
                  store::HistoryWrite& out) {
  if (!from) return;
  for (const auto& [name, instances] : *from) {
    if (!instances.is_array()) continue;
    const json::value* kept = to ? to->if_contains(name) : nullptr;
    for (const auto& inst : instances.get_array()) {
      if (!inst.is_object()) continue;
      if (!findInstance(kept, datasetIdOf(inst.get_object())))
        out.instances.push_back(deletionInstance(name, inst.get_object(), now));
    }
  }
}

// The scope as a Property instance whose observedAt is its modifiedAt (4.5.6).
json::object scopeInstance(const json::value& scope, int64_t modifiedAt) {
  json::object o;
  o[key::type] = "Property";
  o["value"] = scope;
  o[key::observedAt] = formatDateTime(modifiedAt);
  o[key::modifiedAt] = modifiedAt;
  return o;
}

}  // namespace

store::HistoryInstance historyInstance(std::string_view attribute, const json::object& instance,
                                       int64_t now) {
  store::HistoryInstance h;
  h.attribute = attribute;
  h.datasetId = datasetIdOf(instance);
  h.recordedMs = msMember(instance, key::modifiedAt, now);
  h.timeMs = h.recordedMs;
  if (auto* o = instance.if_contains(key::observedAt); o && o->is_string())
    if (auto at = parseDateTime(o->get_string())) h.timeMs = *at;
  h.instance = instance;
  return h;
}

store::HistoryInstance deletionInstance(std::string_view attribute, const json::object& was,
                                        int64_t now) {
  store::HistoryInstance h;
  h.attribute = attribute;
  h.datasetId = datasetIdOf(was);
  h.timeMs = h.recordedMs = now;
  auto kind = kindOf(was);
  h.instance[key::type] = kindName(kind);
  if (attribute == key::scope)
    h.instance["value"] = json::array();
  else if (kind == AttributeKind::LanguageProperty)
    h.instance["languageMap"] = json::object{{"@none", kNull}};
  else
    h.instance[valueMember(kind)] = kNull;
  if (!h.datasetId.empty()) h.instance[key::datasetId] = h.datasetId;
  // A transient attribute's history, its deletion included, ends with it (4.22).
  if (auto* e = was.if_contains(key::expiresAt)) h.instance[key::expiresAt] = *e;
  h.instance["deletedAt"] = now;
  return h;
}

store::HistoryWrite captureHistory(const std::optional<store::Entity>& before,
                                   const store::EntityWrite& write, int64_t now) {
  store::HistoryWrite out;
  const store::Entity* old = before ? &*before : nullptr;
  const store::Entity* neu = write.kind == store::EntityWrite::Kind::Put ? &write.entity : nullptr;
  const auto* oldAttrs = attrsOf(old);
  const auto* newAttrs = attrsOf(neu);
  if (newAttrs) {
    for (const auto& [name, instances] : *newAttrs) {
      if (!instances.is_array()) continue;
      const json::value* was = oldAttrs ? oldAttrs->if_contains(name) : nullptr;
      for (const auto& inst : instances.get_array()) {
        if (!inst.is_object()) continue;
        const auto* prior = findInstance(was, datasetIdOf(inst.get_object()));
        if (!prior || *prior != inst.get_object())
          out.instances.push_back(historyInstance(name, inst.get_object(), now));
      }
    }
  }
  addDeletions(oldAttrs, newAttrs, now, out);

  // The scope is recorded like an attribute of that name.
  const json::value* oldScope = old ? old->if_contains(key::scope) : nullptr;
  const json::value* newScope = neu ? neu->if_contains(key::scope) : nullptr;
  if (newScope && (!oldScope || *oldScope != *newScope)) {
    auto h = historyInstance(key::scope,
                             scopeInstance(*newScope, msMember(*neu, key::modifiedAt, now)), now);
    out.instances.push_back(std::move(h));
  } else if (oldScope && !newScope) {
    out.instances.push_back(
        deletionInstance(key::scope, json::object{{key::type, "Property"}}, now));
  }

  if (!neu) {
    out.entity = store::HistoryEntity{std::string(old->at(key::id).get_string()), typesOf(*old),
                                      msMember(*old, key::createdAt, now), now};
  } else {
    out.entity = store::HistoryEntity{std::string(neu->at(key::id).get_string()), typesOf(*neu),
                                      msMember(*neu, key::createdAt, now), 0};
    out.entityAsBefore = old && typesOf(*old) == out.entity->types &&
                         msMember(*old, key::createdAt, now) == out.entity->createdAtMs;
  }
  return out;
}

}  // namespace allmende::ngsi
