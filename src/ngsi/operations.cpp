// Attribute-level merge rules. Instances are matched by datasetId (the default
// instance has none); a replaced instance keeps its createdAt.
#include "ngsi/operations.h"

#include <algorithm>

#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/parse.h"

namespace allmende::ngsi {

namespace {

void stamp(json::object& instance, int64_t created, int64_t now) {
  instance[key::createdAt] = created;
  instance[key::modifiedAt] = now;
  if (auto* subs = instance.if_contains(key::subs); subs && subs->is_object())
    for (auto& [name, sub] : subs->get_object())
      if (sub.is_object()) stamp(sub.get_object(), created, now);
}

int64_t createdAtOf(const json::object& o, int64_t fallback) {
  auto* c = o.if_contains(key::createdAt);
  return c && c->is_int64() ? c->get_int64() : fallback;
}

json::object& attrsOf(json::object& entity) {
  auto& a = entity[key::attrs];
  if (!a.is_object()) a = json::object();
  return a.get_object();
}

// Index of the instance with that datasetId in instances, or -1.
int findInstance(const json::array& instances, std::string_view datasetId) {
  for (size_t i = 0; i < instances.size(); ++i)
    if (instances[i].is_object() && datasetIdOf(instances[i].get_object()) == datasetId)
      return static_cast<int>(i);
  return -1;
}

void putInstance(json::array& instances, json::object instance, int64_t now) {
  int at = findInstance(instances, datasetIdOf(instance));
  if (at < 0) {
    stamp(instance, now, now);
    instances.emplace_back(std::move(instance));
  } else {
    stamp(instance, createdAtOf(instances[at].get_object(), now), now);
    instances[at] = std::move(instance);
  }
}

void addTypes(json::object& entity, const json::object& fragment) {
  auto* t = fragment.if_contains(key::type);
  if (!t || !t->is_array()) return;
  auto& types = entity[key::type];
  if (!types.is_array()) types = json::array();
  for (const auto& type : t->get_array())
    if (std::find(types.get_array().begin(), types.get_array().end(), type) == types.get_array().end())
      types.get_array().push_back(type);
}

void touch(json::object& entity, int64_t now) { entity[key::modifiedAt] = now; }

// RFC 7396 JSON merge patch: objects merge member by member, null removes.
json::value mergePatch(const json::value& target, const json::value& patch) {
  if (!patch.is_object()) return patch;
  json::object out = target.is_object() ? target.get_object() : json::object();
  for (const auto& [k, v] : patch.get_object()) {
    if (isNgsiNull(v))
      out.erase(k);
    else
      out[k] = mergePatch(out.contains(k) ? out.at(k) : json::value(nullptr), v);
  }
  return out;
}

// Scope members of a fragment: appended (union) or replacing the entity's.
void applyScope(json::object& entity, const json::value& scope, bool unite) {
  if (!unite || !entity.contains(key::scope)) {
    entity[key::scope] = scope;
    return;
  }
  auto& have = entity[key::scope].as_array();
  for (const auto& s : scope.as_array())
    if (std::find(have.begin(), have.end(), s) == have.end()) have.push_back(s);
}

json::array* existingAttribute(json::object& entity, const std::string& attr) {
  auto& attrs = attrsOf(entity);
  auto* a = attrs.if_contains(attr);
  return a && a->is_array() && !a->get_array().empty() ? &a->get_array() : nullptr;
}

// Merge-patch of one instance: members present replace, nulls delete.
// With mergeValues (merge entity), an object value is merged into the old one
// (RFC 7396); otherwise it replaces it.
void mergeInstance(json::object& target, const json::object& patch, int64_t now, bool mergeValues) {
  for (const auto& [member, value] : patch) {
    if (member == key::subs) continue;
    if (member == key::createdAt || member == key::modifiedAt) continue;
    if (isNgsiNull(value))
      target.erase(member);
    else if (mergeValues && member == "value" && value.is_object() && target.contains("value"))
      target[member] = mergePatch(target.at("value"), value);
    else
      target[member] = value;
  }
  if (auto* subs = patch.if_contains(key::subs); subs && subs->is_object()) {
    auto& targetSubs = target[key::subs];
    if (!targetSubs.is_object()) targetSubs = json::object();
    for (const auto& [name, sub] : subs->get_object()) {
      if (sub.is_null()) {
        targetSubs.get_object().erase(name);
        continue;
      }
      json::object s = sub.get_object();
      auto* existing = targetSubs.get_object().if_contains(name);
      if (existing && existing->is_object()) {
        json::object merged = existing->get_object();
        mergeInstance(merged, s, now, mergeValues);
        targetSubs.get_object()[name] = std::move(merged);
      } else {
        stamp(s, now, now);
        targetSubs.get_object()[name] = std::move(s);
      }
    }
    if (targetSubs.get_object().empty()) target.erase(key::subs);
  }
  target[key::modifiedAt] = now;
}

}  // namespace

json::object createEntity(json::object parsed, int64_t now) {
  parsed[key::createdAt] = now;
  parsed[key::modifiedAt] = now;
  for (auto& [name, instances] : attrsOf(parsed))
    for (auto& inst : instances.get_array()) stamp(inst.get_object(), now, now);
  return parsed;
}

AttributeOutcome appendAttributes(json::object& entity, const json::object& fragment,
                                  bool noOverwrite, int64_t now) {
  AttributeOutcome out;
  addTypes(entity, fragment);
  if (auto* s = fragment.if_contains(key::scope); s && s->is_array()) {
    applyScope(entity, *s, noOverwrite);
    out.updated.emplace_back(key::scope);
  }
  auto& attrs = attrsOf(entity);
  for (const auto& [name, instances] : fragment.at(key::attrs).get_object()) {
    auto& target = attrs[name];
    if (!target.is_array()) target = json::array();
    bool any = false;
    for (const auto& inst : instances.get_array()) {
      const auto& obj = inst.get_object();
      if (noOverwrite && findInstance(target.get_array(), datasetIdOf(obj)) >= 0) continue;
      putInstance(target.get_array(), obj, now);
      any = true;
    }
    if (any)
      out.updated.emplace_back(name);
    else
      out.notUpdated.emplace_back(name, "attribute exists and noOverwrite was requested");
  }
  touch(entity, now);
  return out;
}

AttributeOutcome updateAttributes(json::object& entity, const json::object& fragment, int64_t now) {
  AttributeOutcome out;
  addTypes(entity, fragment);
  if (auto* s = fragment.if_contains(key::scope)) {
    if (entity.contains(key::scope) && s->is_array()) {
      entity[key::scope] = *s;
      out.updated.emplace_back(key::scope);
    } else {
      out.notUpdated.emplace_back(key::scope, "the entity has no scope");
    }
  }
  auto& attrs = attrsOf(entity);
  for (const auto& [name, instances] : fragment.at(key::attrs).get_object()) {
    // An existing attribute is updated, an instance with a new datasetId is added
    // to it, and an attribute the entity lacks is appended (conformance 011_01_03).
    auto& slot = attrs[name];
    if (!slot.is_array()) slot = json::array();
    auto& target = slot.get_array();
    bool updated = false;
    for (const auto& inst : instances.get_array()) {
      const auto& obj = inst.get_object();
      int at = findInstance(target, datasetIdOf(obj));
      if (isDeletion(obj)) {
        if (at < 0) continue;
        target.erase(target.begin() + at);
      } else {
        putInstance(target, obj, now);
      }
      updated = true;
    }
    if (updated)
      out.updated.emplace_back(name);
    else
      out.notUpdated.emplace_back(name, "nothing to delete: no such attribute or instance");
    if (target.empty()) attrs.erase(name);
  }
  touch(entity, now);
  return out;
}

void partialUpdateAttribute(json::object& entity, const std::string& attr,
                            const json::array& instances, int64_t now) {
  auto* target = existingAttribute(entity, attr);
  if (!target) fail(ErrorType::ResourceNotFound, "the entity has no attribute '" + attr + "'");
  for (const auto& inst : instances) {
    const auto& patch = inst.get_object();
    int at = findInstance(*target, datasetIdOf(patch));
    if (at < 0)
      fail(ErrorType::ResourceNotFound, "the attribute '" + attr + "' has no instance with datasetId '" +
                                            std::string(datasetIdOf(patch)) + "'");
    if (isDeletion(patch)) {
      target->erase(target->begin() + at);
      continue;
    }
    json::object merged = (*target)[at].get_object();
    json::object p = patch;
    // The fragment's kind applies only when it names a value member, and must be the stored one.
    if (!p.contains(valueMember(kindOf(p))))
      p.erase(key::type);
    else if (kindOf(p) != kindOf(merged))
      fail(ErrorType::BadRequestData, "the attribute '" + attr + "' is a " +
                                          std::string(kindName(kindOf(merged))) + ", not a " +
                                          std::string(kindName(kindOf(p))));
    mergeInstance(merged, p, now, false);
    (*target)[at] = std::move(merged);
  }
  if (target->empty()) attrsOf(entity).erase(attr);
  touch(entity, now);
}

void replaceAttribute(json::object& entity, const std::string& attr, const json::array& instances,
                      int64_t now) {
  auto* target = existingAttribute(entity, attr);
  if (!target) fail(ErrorType::ResourceNotFound, "the entity has no attribute '" + attr + "'");
  for (const auto& inst : instances) putInstance(*target, inst.get_object(), now);
  touch(entity, now);
}

void deleteAttribute(json::object& entity, const std::string& attr,
                     const std::optional<std::string>& datasetId, bool deleteAll, int64_t now) {
  auto* target = existingAttribute(entity, attr);
  if (!target) fail(ErrorType::ResourceNotFound, "the entity has no attribute '" + attr + "'");
  if (deleteAll) {
    attrsOf(entity).erase(attr);
  } else {
    int at = findInstance(*target, datasetId.value_or(""));
    if (at < 0)
      fail(ErrorType::ResourceNotFound,
           datasetId ? "the attribute '" + attr + "' has no instance with datasetId '" + *datasetId + "'"
                     : "the attribute '" + attr + "' has no default instance");
    target->erase(target->begin() + at);
    if (target->empty()) attrsOf(entity).erase(attr);
  }
  touch(entity, now);
}

void deleteScope(json::object& entity, int64_t now) {
  if (!entity.contains(key::scope)) fail(ErrorType::ResourceNotFound, "the entity has no scope");
  entity.erase(key::scope);
  touch(entity, now);
}

json::object replaceEntity(const json::object& current, json::object parsed, int64_t now) {
  parsed[key::id] = current.at(key::id);
  if (!parsed.contains(key::type)) parsed[key::type] = current.at(key::type);
  auto created = createdAtOf(current, now);
  auto entity = createEntity(std::move(parsed), now);
  entity[key::createdAt] = created;
  return entity;
}

void mergeEntity(json::object& entity, const json::object& fragment, int64_t now) {
  addTypes(entity, fragment);
  if (auto* s = fragment.if_contains(key::scope)) {
    if (s->is_null())
      entity.erase(key::scope);
    else
      entity[key::scope] = *s;
  }
  if (auto* e = fragment.if_contains(key::expiresAt)) {
    if (e->is_null())
      entity.erase(key::expiresAt);
    else
      entity[key::expiresAt] = *e;
  }
  auto& attrs = attrsOf(entity);
  for (const auto& [name, instances] : fragment.at(key::attrs).get_object()) {
    auto* target = existingAttribute(entity, std::string(name));
    for (const auto& inst : instances.get_array()) {
      const auto& patch = inst.get_object();
      int at = target ? findInstance(*target, datasetIdOf(patch)) : -1;
      if (isDeletion(patch)) {
        if (at >= 0) target->erase(target->begin() + at);
        continue;
      }
      if (at < 0) {
        if (!patch.contains(valueMember(kindOf(patch))))
          fail(ErrorType::BadRequestData, "the new attribute '" + std::string(name) + "' has no value");
        if (!target) {
          attrs[name] = json::array();
          target = &attrs[name].get_array();
        }
        putInstance(*target, patch, now);
      } else {
        json::object merged = (*target)[at].get_object();
        mergeInstance(merged, patch, now, true);
        (*target)[at] = std::move(merged);
      }
    }
    if (target && target->empty()) attrs.erase(name);
  }
  touch(entity, now);
}

}  // namespace allmende::ngsi
