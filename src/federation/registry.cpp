// Registrations in memory and in the store, and the conflict rules between them.
#include "federation/registry.h"

#include <re2/re2.h>
#include <spdlog/spdlog.h>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"

namespace allmende::federation {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

bool isLive(const Registration& r, int64_t now) {
  auto at = expiresAtMs(r);
  return !at || *at > now;
}

// True if the EntityInfo may stand for the entity with this id and type.
bool covers(const EntityInfo& e, std::string_view id, const std::optional<std::string>& type) {
  if (e.type && type && *e.type != *type) return false;
  if (e.id) return *e.id == id;
  if (e.idPattern) return RE2::PartialMatch(id, RE2(*e.idPattern));
  return true;
}

bool attributesOverlap(const RegistrationInfo& a, const RegistrationInfo& b) {
  if (a.anyAttribute() || b.anyAttribute()) return true;
  for (const auto& n : a.propertyNames)
    if (b.hasAttribute(n)) return true;
  for (const auto& n : a.relationshipNames)
    if (b.hasAttribute(n)) return true;
  return false;
}

// An entity and attribute that an exclusive registration and another
// registration both cover, as text for the error; empty if none.
std::string overlap(const Registration& exclusive, const Registration& other) {
  auto others = informationOf(other);
  for (const auto& info : informationOf(exclusive))
    for (const auto& e : info.entities)
      for (const auto& o : others) {
        if (!attributesOverlap(info, o)) continue;
        bool entity = o.entities.empty();
        for (const auto& oe : o.entities) entity = entity || covers(oe, *e.id, e.type);
        if (entity) return *e.id;
      }
  return {};
}

[[noreturn]] void conflict(const std::string& detail) {
  fail(ErrorType::Conflict, detail);
}

}  // namespace

Registry::Registry(store::Store& store) : store_(store) {
  size_t count = 0;
  for (const auto& stored : store_.documents(store::DocumentKind::Registration)) {
    tenants_[stored.tenant][stored.id] = parseStoredRegistration(stored.id, stored.document);
    ++count;
  }
  if (count) spdlog::info("{} context source registrations loaded", count);
}

void Registry::setListener(Listener listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void Registry::checkConflicts(const std::string& tenant, const Registrations& others,
                              const Registration& r) const {
  Mode mode = modeOf(r);
  if (mode != Mode::Exclusive && mode != Mode::Redirect) return;
  for (const auto& [id, other] : others) {
    if (id == r.id) continue;
    Mode m = modeOf(other);
    if (m == Mode::Exclusive && !overlap(other, r).empty())
      conflict("the exclusive registration " + id + " already covers entity " + overlap(other, r));
    if (mode == Mode::Exclusive && m == Mode::Redirect && !overlap(r, other).empty())
      conflict("the redirect registration " + id + " already covers entity " + overlap(r, other));
  }
  for (const auto& info : informationOf(r))
    for (const auto& e : info.entities) {
      if (!e.id) continue;
      auto local = store_.getEntity(tenant, *e.id);
      if (!local) continue;
      if (mode == Mode::Redirect) {
        bool typed = !e.type;
        for (const auto& t : local->at(ngsi::key::type).get_array())
          typed = typed || t.get_string() == *e.type;
        if (typed)
          conflict("the entity " + *e.id + " is held here; a redirect registration cannot name it");
        continue;
      }
      const auto& attrs = local->at(ngsi::key::attrs).get_object();
      for (const auto& [name, value] : attrs)
        if (info.hasAttribute(name))
          conflict("the entity " + *e.id + " held here has the attribute " + std::string(name) +
                   "; an exclusive registration cannot provide it");
    }
}

std::vector<Registration> Registry::dropExpired(const std::string& tenant, int64_t now) {
  std::vector<Registration> dropped;
  auto t = tenants_.find(tenant);
  if (t == tenants_.end()) return dropped;
  for (auto it = t->second.begin(); it != t->second.end();) {
    if (isLive(it->second, now)) {
      ++it;
      continue;
    }
    store_.deleteDocument(store::DocumentKind::Registration, tenant, it->first);
    dropped.push_back(std::move(it->second));
    it = t->second.erase(it);
  }
  return dropped;
}

void Registry::notify(const std::string& tenant, const Registration* before,
                      const Registration* after) const {
  Listener listener;
  {
    std::lock_guard lock(mutex_);
    listener = listener_;
  }
  if (listener) listener(tenant, before, after);
}

void Registry::create(const std::string& tenant, Registration r) {
  std::vector<Registration> expired;
  {
    std::lock_guard lock(mutex_);
    expired = dropExpired(tenant, ngsi::nowMs());
    auto& regs = tenants_[tenant];
    if (regs.contains(r.id))
      fail(ErrorType::AlreadyExists, "a registration with id '" + r.id + "' exists");
    checkConflicts(tenant, regs, r);
    store_.putDocument(store::DocumentKind::Registration, {tenant, r.id, serializeRegistration(r)});
    regs[r.id] = r;
  }
  for (const auto& e : expired) notify(tenant, &e, nullptr);
  notify(tenant, nullptr, &r);
}

Registration Registry::get(const std::string& tenant, std::string_view id) const {
  std::lock_guard lock(mutex_);
  auto t = tenants_.find(tenant);
  if (t != tenants_.end())
    if (auto it = t->second.find(id); it != t->second.end() && isLive(it->second, ngsi::nowMs()))
      return it->second;
  fail(ErrorType::ResourceNotFound,
       "no context source registration with id '" + std::string(id) + "'");
}

void Registry::update(const std::string& tenant, std::string_view id,
                      const std::function<void(Registration&)>& change) {
  std::vector<Registration> expired;
  Registration before, after;
  {
    std::lock_guard lock(mutex_);
    expired = dropExpired(tenant, ngsi::nowMs());
    auto t = tenants_.find(tenant);
    auto it = t == tenants_.end() ? Registrations::iterator{} : t->second.find(id);
    if (t == tenants_.end() || it == t->second.end())
      fail(ErrorType::ResourceNotFound,
           "no context source registration with id '" + std::string(id) + "'");
    before = after = it->second;
    change(after);
    checkConflicts(tenant, t->second, after);
    store_.putDocument(store::DocumentKind::Registration,
                       {tenant, after.id, serializeRegistration(after)});
    it->second = after;
  }
  for (const auto& e : expired) notify(tenant, &e, nullptr);
  notify(tenant, &before, &after);
}

void Registry::remove(const std::string& tenant, std::string_view id) {
  std::vector<Registration> expired;
  Registration removed;
  {
    std::lock_guard lock(mutex_);
    expired = dropExpired(tenant, ngsi::nowMs());
    auto t = tenants_.find(tenant);
    auto it = t == tenants_.end() ? Registrations::iterator{} : t->second.find(id);
    if (t == tenants_.end() || it == t->second.end())
      fail(ErrorType::ResourceNotFound,
           "no context source registration with id '" + std::string(id) + "'");
    store_.deleteDocument(store::DocumentKind::Registration, tenant, id);
    removed = std::move(it->second);
    t->second.erase(it);
  }
  for (const auto& e : expired) notify(tenant, &e, nullptr);
  notify(tenant, &removed, nullptr);
}

void Registry::report(const std::string& tenant, std::string_view id, bool ok, int64_t now) {
  std::lock_guard lock(mutex_);
  auto t = tenants_.find(tenant);
  if (t == tenants_.end()) return;
  auto it = t->second.find(id);
  if (it == t->second.end()) return;
  auto& r = it->second;
  r.stats.timesSent++;
  if (ok) {
    r.stats.lastSuccessMs = now;
    r.stats.coolUntilMs = 0;
    return;
  }
  r.stats.timesFailed++;
  r.stats.lastFailureMs = now;
  if (auto* m = r.doc.if_contains("management"))
    if (auto* c = m->get_object().if_contains("cooldown"))
      r.stats.coolUntilMs = now + static_cast<int64_t>(c->to_number<double>());
}

std::vector<Registration> Registry::list(const std::string& tenant) const {
  std::lock_guard lock(mutex_);
  std::vector<Registration> out;
  auto t = tenants_.find(tenant);
  if (t == tenants_.end()) return out;
  auto now = ngsi::nowMs();
  for (const auto& [id, r] : t->second)
    if (isLive(r, now)) out.push_back(r);
  return out;
}

void Registry::reload(const std::string& tenant, const std::string& id,
                      const std::optional<std::string>& document) {
  std::lock_guard lock(mutex_);
  if (document)
    tenants_[tenant][id] = parseStoredRegistration(id, *document);
  else if (auto t = tenants_.find(tenant); t != tenants_.end())
    t->second.erase(id);
}

}  // namespace allmende::federation
