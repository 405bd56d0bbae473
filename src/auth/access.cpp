// The evaluation of a caller's grants for entities and attributes.
#include "auth/access.h"

#include <algorithm>

#include "ngsi/entity.h"
#include "ngsi/error.h"

namespace allmende::auth {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;

namespace {

bool names(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// Denies that take reading (Reader) or writing (Reader or Writer) away.
bool deniesRead(const Grant& g) {
  return g.deny && g.role == Role::Reader;
}
bool deniesWrite(const Grant& g) {
  return g.deny && g.role != Role::Admin;
}

const json::object* attributesOf(const json::object* entity) {
  if (!entity) return nullptr;
  auto* a = entity->if_contains(ngsi::key::attrs);
  return a && a->is_object() ? &a->get_object() : nullptr;
}

}  // namespace

std::shared_ptr<const Access> Access::everything() {
  static const std::shared_ptr<const Access> all = [] {
    std::shared_ptr<Access> a(new Access());
    a->unlimited_ = a->readsEverything_ = a->writesEverything_ = true;
    return a;
  }();
  return all;
}

Access::Access(std::vector<std::shared_ptr<const Grant>> grants) : grants_(std::move(grants)) {
  bool readAll = false, writeAll = false, denyRead = false, denyWrite = false;
  for (const auto& g : grants_) {
    if (g->deny) {
      denyRead = denyRead || deniesRead(*g);
      denyWrite = denyWrite || deniesWrite(*g);
      continue;
    }
    bool whole = g->targetsAll() && g->hiddenAttrs.empty();
    readAll = readAll || whole;
    writeAll = writeAll || (whole && g->role >= Role::Writer && g->readOnlyAttrs.empty());
  }
  readsEverything_ = readAll && !denyRead;
  writesEverything_ = writeAll && !denyWrite;
}

bool Access::isAdmin() const {
  return hasRole(Role::Admin);
}

bool Access::hasRole(Role role) const {
  if (unlimited_) return true;
  bool allowed = false;
  for (const auto& g : grants_) {
    // A deny about the whole tenant takes its role away, a reader's deny writing too.
    bool takes = g->role == role || (g->role == Role::Reader && role == Role::Writer);
    if (g->deny && takes && g->targetsAll() && g->attrs.empty()) return false;
    allowed = allowed || (!g->deny && g->role >= role);
  }
  return allowed;
}

bool Access::mayRead(const json::object& entity) const {
  if (readsEverything_) return true;
  bool allowed = false;
  for (const auto& g : grants_) {
    if (g->deny) {
      if (deniesRead(*g) && g->attrs.empty() && g->targets(entity)) return false;
    } else {
      allowed = allowed || g->targets(entity);
    }
  }
  return allowed;
}

bool Access::sees(const json::object& entity, std::string_view attribute) const {
  if (readsEverything_) return true;
  bool allowed = false;
  for (const auto& g : grants_) {
    if (g->deny) {
      if (deniesRead(*g) && (g->attrs.empty() || names(g->attrs, attribute)) && g->targets(entity))
        return false;
    } else if (!allowed && !names(g->hiddenAttrs, attribute)) {
      allowed = g->targets(entity);
    }
  }
  return allowed;
}

bool Access::hidesSome(const json::object& entity) const {
  if (readsEverything_) return false;
  auto* attrs = attributesOf(&entity);
  if (!attrs) return false;
  for (const auto& [name, _] : *attrs)
    if (!sees(entity, name)) return true;
  return false;
}

bool Access::stripHidden(json::object& entity) const {
  if (readsEverything_) return false;
  auto* attrs = entity.if_contains(ngsi::key::attrs);
  if (!attrs || !attrs->is_object()) return false;
  std::vector<std::string> hidden;
  for (const auto& [name, _] : attrs->get_object())
    if (!sees(entity, name)) hidden.emplace_back(name);
  for (const auto& name : hidden) attrs->get_object().erase(name);
  return !hidden.empty();
}

bool Access::writable(const json::object& entity) const {
  bool allowed = false;
  for (const auto& g : grants_) {
    if (g->deny) {
      if (deniesWrite(*g) && g->attrs.empty() && g->targets(entity)) return false;
    } else {
      allowed = allowed || (g->role >= Role::Writer && g->targets(entity));
    }
  }
  return allowed;
}

bool Access::writable(const json::object& entity, std::string_view attribute) const {
  bool allowed = false;
  for (const auto& g : grants_) {
    if (g->deny) {
      if (deniesWrite(*g) && (g->attrs.empty() || names(g->attrs, attribute)) && g->targets(entity))
        return false;
    } else if (!allowed && g->role >= Role::Writer && !names(g->hiddenAttrs, attribute) &&
               !names(g->readOnlyAttrs, attribute)) {
      allowed = g->targets(entity);
    }
  }
  return allowed;
}

void Access::refuseAttribute(std::string_view id, const json::object& entity,
                             std::string_view attribute) const {
  const std::string of = " of entity '" + std::string(id) + "'";
  if (!sees(entity, attribute))
    fail(ErrorType::Forbidden,
         "the change would alter attributes" + of + " that the caller may not change");
  fail(ErrorType::Forbidden,
       "the caller may not change the attribute '" + std::string(attribute) + "'" + of);
}

void Access::checkWrite(std::string_view id, const json::object* before,
                        const json::object* after) const {
  if (before && !mayRead(*before))
    fail(ErrorType::ResourceNotFound,
         "no entity with id '" + std::string(id) + "'");  // as if absent
  if (writesEverything_) return;
  const std::string entity = "entity '" + std::string(id) + "'";
  if (before && !writable(*before))
    fail(ErrorType::Forbidden, "the caller may not change " + entity);
  if (after && !writable(*after))
    fail(ErrorType::Forbidden,
         "the caller may not make " + entity +
             " as it is (its type, id or scope is outside what the caller may write)");
  // Each attribute the change adds, alters or removes.
  const auto* was = attributesOf(before);
  const auto* is = attributesOf(after);
  auto check = [&](std::string_view name, const json::value* old, const json::value* now) {
    if (old && now && *old == *now) return;
    if (before && old && !writable(*before, name)) refuseAttribute(id, *before, name);
    if (after && now && !writable(*after, name)) refuseAttribute(id, *after, name);
  };
  if (was)
    for (const auto& [name, value] : *was)
      check(name, &value, is ? is->if_contains(name) : nullptr);
  if (is)
    for (const auto& [name, value] : *is)
      if (!was || !was->contains(name)) check(name, nullptr, &value);
}

void Access::checkAttributes(std::string_view id, const json::object& entity,
                             const std::vector<std::string>& names) const {
  if (!mayRead(entity))
    fail(ErrorType::ResourceNotFound,
         "no entity with id '" + std::string(id) + "'");  // as if absent
  if (writesEverything_) return;
  if (!writable(entity))
    fail(ErrorType::Forbidden, "the caller may not change entity '" + std::string(id) + "'");
  for (const auto& name : names)
    if (!writable(entity, name)) refuseAttribute(id, entity, name);
}

}  // namespace allmende::auth
