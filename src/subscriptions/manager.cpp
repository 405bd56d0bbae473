// Subscriptions in memory and in the store; matching of entity changes.
#include "subscriptions/manager.h"

#include <spdlog/spdlog.h>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"

namespace allmende::subscriptions {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;

// A periodic notification carries at most this many entities (the first in id order).
constexpr size_t kMaxPeriodicEntities = 1000;

Manager::Manager(store::Store& store, jsonld::ContextRegistry& contexts,
                 boost::asio::io_context& io, DeliveryOptions options)
    : store_(store), contexts_(contexts) {
  size_t count = 0;
  for (const auto& stored : store_.documents(store::DocumentKind::Subscription)) {
    reload(stored.tenant, stored.id, stored.document);
    ++count;
  }
  if (count) spdlog::info("{} subscriptions loaded", count);
  delivery_ = std::make_unique<Delivery>(io, options, [this](const Outcome& o) { report(o); });
  ticker_ = std::thread([this] {
    std::unique_lock lock(tickerMutex_);
    while (!tickerWake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; })) {
      lock.unlock();
      tick();
      lock.lock();
    }
  });
}

Manager::~Manager() {
  {
    std::lock_guard lock(tickerMutex_);
    stopping_ = true;
  }
  tickerWake_.notify_all();
  ticker_.join();
  delivery_.reset();
  std::lock_guard lock(mutex_);
  for (const auto& [tenant, subs] : tenants_)
    for (const auto& [id, e] : subs)
      if (store_.notifies(store::DocumentKind::Subscription, tenant, id))  // the statistics are this broker's
        store_.putDocument(store::DocumentKind::Subscription, {tenant, id, serializeSubscription(e.sub)});
}

void Manager::index(const std::string& tenant, const std::string& id, const Compiled* compiled, bool add) {
  if (!compiled) return;
  auto& ti = typeIndex_[tenant];
  auto update = [&](auto& byKey, const std::vector<std::string>& keys) {
    for (const auto& k : keys) {
      auto& ids = byKey[k];
      add ? (void)ids.insert(id) : (void)ids.erase(id);
      if (ids.empty()) byKey.erase(k);
    }
  };
  if (auto ids = requiredIds(compiled->matcher); !ids.empty()) return update(ti.byId, ids);
  auto types = requiredTypes(compiled->matcher);
  if (types.empty()) {
    add ? (void)ti.anyType.insert(id) : (void)ti.anyType.erase(id);
    return;
  }
  update(ti.byType, types);
}

std::shared_ptr<const Manager::Compiled> Manager::compile(const Subscription& s) {
  auto ctx = contexts_.resolve(s.context);
  auto compiled = std::make_shared<Compiled>();
  compiled->matcher = compileMatcher(s, *ctx);
  if (auto* j = s.doc.if_contains("jsonldContext"))
    compiled->shape = compileShape(s, contexts_.resolve(*j), *j, *ctx);
  else
    compiled->shape = compileShape(s, ctx, s.context, *ctx);
  return compiled;
}

namespace {

// The entry of (tenant, id) in a tenant map, const or not; ResourceNotFound if absent.
template <class Tenants>
auto& entryOf(Tenants& tenants, std::string_view tenant, std::string_view id) {
  auto t = tenants.find(tenant);
  if (t != tenants.end())
    if (auto it = t->second.find(id); it != t->second.end()) return it->second;
  fail(ErrorType::ResourceNotFound, "no subscription with id '" + std::string(id) + "'");
}

}  // namespace

void Manager::create(std::string_view tenant, Subscription s) {
  std::lock_guard writing(writeMutex_);
  auto compiled = compile(s);
  std::lock_guard lock(mutex_);
  auto& subs = tenants_[std::string(tenant)];
  if (subs.contains(s.id)) fail(ErrorType::AlreadyExists, "a subscription with id '" + s.id + "' exists");
  store_.putDocument(store::DocumentKind::Subscription, {std::string(tenant), s.id, serializeSubscription(s)});
  std::string id = s.id;
  index(std::string(tenant), id, compiled.get(), true);
  subs[id] = Entry{std::move(s), std::move(compiled), 0};
}

Subscription Manager::get(std::string_view tenant, std::string_view id) const {
  std::lock_guard lock(mutex_);
  return entryOf(tenants_, tenant, id).sub;
}

void Manager::update(std::string_view tenant, std::string_view id,
                     const std::function<void(Subscription&)>& change) {
  std::lock_guard writing(writeMutex_);
  Subscription s = get(tenant, id);
  change(s);
  auto compiled = compile(s);
  std::lock_guard lock(mutex_);
  auto& e = entryOf(tenants_, tenant, id);
  s.stats = e.sub.stats;  // outcomes that arrived meanwhile
  store_.putDocument(store::DocumentKind::Subscription, {std::string(tenant), s.id, serializeSubscription(s)});
  index(std::string(tenant), s.id, e.compiled.get(), false);
  index(std::string(tenant), s.id, compiled.get(), true);
  e.sub = std::move(s);
  e.compiled = std::move(compiled);
}

void Manager::remove(std::string_view tenant, std::string_view id) {
  std::lock_guard writing(writeMutex_);
  std::lock_guard lock(mutex_);
  index(std::string(tenant), std::string(id), entryOf(tenants_, tenant, id).compiled.get(), false);
  store_.deleteDocument(store::DocumentKind::Subscription, tenant, id);
  tenants_.find(tenant)->second.erase(std::string(id));
  delivery_->forget(std::string(tenant), std::string(id), SubscriptionKind::Entities);
}

void Manager::reload(const std::string& tenant, const std::string& id, const std::optional<std::string>& document) {
  std::optional<Entry> fresh;
  if (document) {
    fresh.emplace();
    fresh->sub = parseStoredSubscription(id, *document);
    try {
      fresh->compiled = compile(fresh->sub);
    } catch (const std::exception& ex) {
      spdlog::error("subscription {} will not notify: {}", id, ex.what());
    }
  }
  std::lock_guard writing(writeMutex_);
  std::lock_guard lock(mutex_);
  auto& subs = tenants_[tenant];
  auto it = subs.find(id);
  if (it != subs.end()) {
    index(tenant, id, it->second.compiled.get(), false);
    if (fresh) {
      if (store_.notifies(store::DocumentKind::Subscription, tenant, id)) fresh->sub.stats = it->second.sub.stats;
      fresh->lastQueuedMs = it->second.lastQueuedMs;
      fresh->nextDueMs = it->second.nextDueMs;
    }
  }
  if (!fresh) {
    if (it != subs.end()) subs.erase(it);
    delivery_->forget(tenant, id, SubscriptionKind::Entities);
    return;
  }
  index(tenant, id, fresh->compiled.get(), true);
  subs[id] = std::move(*fresh);
}

std::vector<Subscription> Manager::list(std::string_view tenant) const {
  std::lock_guard lock(mutex_);
  std::vector<Subscription> out;
  if (auto t = tenants_.find(tenant); t != tenants_.end())
    for (const auto& [id, e] : t->second) out.push_back(e.sub);
  return out;
}

namespace {

// The entity as the access lets its holder see it (a copy), or nullopt.
std::optional<store::Entity> seen(const auth::Access& access, const std::optional<store::Entity>& entity) {
  if (!entity || !access.mayRead(*entity)) return std::nullopt;
  store::Entity copy(*entity, {});
  access.stripHidden(copy);
  return copy;
}

// The change as the access lets its holder see it, or nullopt if it sees
// neither state.
std::optional<store::Store::Change> seen(const auth::Access& access, const store::Store::Change& change) {
  store::Store::Change out{seen(access, change.before), seen(access, change.after), change.written};
  if (!out.before && !out.after) return std::nullopt;
  return out;
}

// Reads linked entities (for q terms like rel{attr} and for joins), each once
// per change, as a subscription's owner may see them (the accesses given
// must live as long as this).
class LinkedEntities {
 public:
  LinkedEntities(const store::Store& store, std::string_view tenant) : store_(store), tenant_(tenant) {}
  const json::object* find(std::string_view id, const auth::Access& access) {
    auto [it, fresh] = read_.try_emplace(std::string(id));
    if (fresh) it->second = store_.getEntity(tenant_, id);
    if (!it->second || access.readsEverything()) return it->second ? &*it->second : nullptr;
    auto [s, made] = seen_.try_emplace({&access, std::string(id)});
    if (made) s->second = seen(access, it->second);
    return s->second ? &*s->second : nullptr;
  }
  query::EntityResolver resolver(const auth::Access& access) {
    return [this, &access](std::string_view id) { return find(id, access); };
  }
  ngsi::EntityReader reader(const auth::Access& access) {
    return [this, &access](std::string_view id) -> std::optional<json::object> {
      auto* e = find(id, access);
      return e ? std::optional(*e) : std::nullopt;
    };
  }

 private:
  const store::Store& store_;
  std::string_view tenant_;
  std::map<std::string, std::optional<store::Entity>> read_;
  std::map<std::pair<const auth::Access*, std::string>, std::optional<store::Entity>> seen_;  // as an owner sees them
};

}  // namespace

std::shared_ptr<const auth::Access> Manager::ownerAccess(std::string_view tenant, const Subscription& s) const {
  return s.owner && ownerAccess_ ? ownerAccess_(tenant, *s.owner) : auth::Access::everything();
}

void Manager::onChange(std::string_view tenant, const store::Store::Change& change, const std::string* only) {
  auto now = ngsi::nowMs();
  // The subscriptions to notify, their owners' access, and the change as
  // their owners see it (when not all of it).
  struct Due {
    std::string id;
    std::shared_ptr<const Compiled> compiled;
    std::shared_ptr<const auth::Access> access;
    std::optional<store::Store::Change> partial;
  };
  std::vector<Due> due;
  std::vector<std::shared_ptr<const auth::Access>> accesses;  // alive while `linked` is (it keys by them)
  LinkedEntities linked(store_, tenant);
  {
    std::lock_guard lock(mutex_);
    auto ti = typeIndex_.find(tenant);
    if (ti == typeIndex_.end()) return;
    // The subscriptions that may select the entity by its id or types (before or after the change).
    std::set<std::string_view> candidates(ti->second.anyType.begin(), ti->second.anyType.end());
    const auto& entity = change.after ? *change.after : *change.before;
    if (auto it = ti->second.byId.find(std::string_view(entity.at(ngsi::key::id).get_string()));
        it != ti->second.byId.end())
      candidates.insert(it->second.begin(), it->second.end());
    for (const auto* state : {&change.before, &change.after})
      if (*state)
        for (const auto& type : (*state)->at(ngsi::key::type).get_array())
          if (auto it = ti->second.byType.find(std::string_view(type.get_string())); it != ti->second.byType.end())
            candidates.insert(it->second.begin(), it->second.end());
    auto& subs = tenants_.find(tenant)->second;
    if (only) {
      if (!subs.contains(*only) || !candidates.contains(*only)) return;
      candidates = {*only};
    }
    for (auto id : candidates) {
      auto& e = subs.find(id)->second;
      if (!e.compiled || (!only && !store_.notifies(store::DocumentKind::Subscription, tenant, id))) continue;
      const auto& access = accesses.emplace_back(ownerAccess(tenant, e.sub));
      std::optional<store::Store::Change> partial;
      if (!access->readsEverything()) {
        partial = seen(*access, change);
        if (!partial) continue;
      }
      if (!triggers(e.compiled->matcher, partial ? *partial : change, now, linked.resolver(*access))) continue;
      if (e.compiled->matcher.throttlingMs && e.lastQueuedMs &&
          now - e.lastQueuedMs < e.compiled->matcher.throttlingMs)
        continue;
      e.lastQueuedMs = now;
      e.sub.stats.pending++;
      due.push_back({std::string(id), e.compiled, access, std::move(partial)});
    }
  }
  for (const auto& [id, compiled, access, partial] : due) {
    json::array data;
    try {
      data = renderChange(compiled->shape, partial ? *partial : change, now, linked.reader(*access));
    } catch (const ngsi::Error& e) {  // the write is done: its notification fails, not the request
      spdlog::warn("notification of {} not made: {}", id, e.detail());
      report({Outcome::Dropped, tenant, id, SubscriptionKind::Entities, 1, now});
      continue;
    }
    delivery_->send({std::string(tenant), id, buildNotification(compiled->shape, id, std::move(data))});
  }
}

DeliveryStats Manager::deliveryStats() const { return delivery_->stats(); }

void Manager::tick() {
  auto now = ngsi::nowMs();
  std::vector<std::tuple<std::string, std::string, std::shared_ptr<const Compiled>, std::shared_ptr<const auth::Access>>>
      due;
  {
    std::lock_guard lock(mutex_);
    for (auto& [tenant, subs] : tenants_)
      for (auto& [id, e] : subs) {
        if (!e.compiled || !e.compiled->matcher.intervalMs || !store_.notifies(store::DocumentKind::Subscription, tenant, id)) continue;
        const auto& m = e.compiled->matcher;
        if (!e.nextDueMs) e.nextDueMs = now + m.intervalMs;  // the first one an interval after creation
        if (now < e.nextDueMs) continue;
        e.nextDueMs = now + m.intervalMs;
        if (!live(m, now)) continue;
        e.sub.stats.pending++;
        due.emplace_back(tenant, id, e.compiled, ownerAccess(tenant, e.sub));
      }
  }
  for (const auto& [tenant, id, compiled, access] : due) notifyPeriodically(tenant, id, *compiled, *access, now);
}

void Manager::notifyPeriodically(const std::string& tenant, const std::string& id, const Compiled& compiled,
                                 const auth::Access& access, int64_t now) {
  const auto& m = compiled.matcher;
  store::EntityQuery q;
  bool allTyped = !m.selectors.empty();
  for (const auto& s : m.selectors) allTyped = allTyped && s.types;
  if (allTyped) {
    q.types.emplace();
    for (const auto& s : m.selectors) q.types->insert(q.types->end(), s.types->begin(), s.types->end());
  }
  LinkedEntities linked(store_, tenant);
  q.predicate = [&m, &access, now, resolve = linked.resolver(access)](const store::Entity& e) {
    if (access.readsEverything()) return selects(m, e, now, resolve);
    auto visible = seen(access, e);
    return visible && selects(m, *visible, now, resolve);
  };
  q.now = now;
  q.limit = kMaxPeriodicEntities;
  json::array data;
  for (auto& e : store_.queryEntities(tenant, q).entities) {
    access.stripHidden(e);
    try {
      for (auto& d : renderChange(compiled.shape, {std::nullopt, std::move(e), false}, now, linked.reader(access)))
        data.push_back(std::move(d));
    } catch (const ngsi::Error& error) {  // that entity is left out
      spdlog::warn("notification of {} leaves an entity out: {}", id, error.detail());
    }
  }
  delivery_->send({tenant, id, buildNotification(compiled.shape, id, std::move(data))});
}

bool Manager::notifyWith(std::string_view tenant, std::string_view id, const std::vector<store::Store::Change>& changes) {
  std::shared_ptr<const Compiled> compiled;
  std::shared_ptr<const auth::Access> access;
  {
    std::lock_guard lock(mutex_);
    auto t = tenants_.find(tenant);
    if (t == tenants_.end()) return false;
    auto it = t->second.find(id);
    if (it == t->second.end()) return false;
    compiled = it->second.compiled;
    access = ownerAccess(tenant, it->second.sub);
  }
  auto now = ngsi::nowMs();
  if (!compiled || !live(compiled->matcher, now)) return true;
  LinkedEntities linked(store_, tenant);
  auto resolve = linked.resolver(*access);
  json::array data;
  for (const auto& given : changes) {
    auto partial = access->readsEverything() ? std::nullopt : seen(*access, given);
    if (!access->readsEverything() && !partial) continue;
    const auto& change = partial ? *partial : given;
    const auto* e = change.after ? &*change.after : change.before ? &*change.before : nullptr;
    if (!e || !selects(compiled->matcher, *e, now, resolve)) continue;
    try {
      for (auto& d : renderChange(compiled->shape, change, now, linked.reader(*access)))
        data.push_back(std::move(d));
    } catch (const ngsi::Error& error) {  // that entity is left out
      spdlog::warn("notification of {} leaves an entity out: {}", id, error.detail());
    }
  }
  if (data.empty()) return true;
  {
    std::lock_guard lock(mutex_);
    if (auto t = tenants_.find(tenant); t != tenants_.end())
      if (auto it = t->second.find(id); it != t->second.end()) it->second.sub.stats.pending++;
  }
  std::string sid(id);
  delivery_->send({std::string(tenant), sid, buildNotification(compiled->shape, sid, std::move(data))});
  return true;
}

void Manager::deliver(Delivery::Job job) { delivery_->send(std::move(job)); }

void Manager::forget(std::string tenant, std::string subscriptionId, SubscriptionKind kind) {
  delivery_->forget(std::move(tenant), std::move(subscriptionId), kind);
}

void Manager::setRegistrationReport(std::function<void(const Outcome&)> report) {
  std::lock_guard lock(mutex_);
  registrationReport_ = std::move(report);
}

void Manager::report(const Outcome& o) {
  std::lock_guard lock(mutex_);
  if (o.subscriptionKind == SubscriptionKind::Registrations) {
    if (registrationReport_) registrationReport_(o);
    return;
  }
  auto t = tenants_.find(o.tenant);
  if (t == tenants_.end()) return;
  auto it = t->second.find(o.subscriptionId);
  if (it == t->second.end()) return;
  record(it->second.sub.stats, o);
}

}  // namespace allmende::subscriptions
