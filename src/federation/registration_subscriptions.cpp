// Registration subscriptions: their store, their compiled queries, and the
// notifications that registration changes and the ticker cause.
#include "federation/registration_subscriptions.h"

#include <re2/re2.h>
#include <spdlog/spdlog.h>

#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "query/entity_selector.h"
#include "subscriptions/notification.h"

namespace allmende::federation {

using ngsi::ErrorType;
using ngsi::fail;
using subscriptions::SubscriptionKind;

namespace json = boost::json;

namespace {

constexpr auto kKind = store::DocumentKind::RegistrationSubscription;

bool live(const Subscription& s, int64_t now) {
  return subscriptions::statusOf(s, now) == "active";
}

template <class Tenants>
auto& entryOf(Tenants& tenants, std::string_view tenant, std::string_view id) {
  auto t = tenants.find(tenant);
  if (t != tenants.end())
    if (auto it = t->second.find(id); it != t->second.end()) return it->second;
  fail(ErrorType::ResourceNotFound,
       "no registration subscription with id '" + std::string(id) + "'");
}

}  // namespace

RegistrationSubscriptions::RegistrationSubscriptions(store::Store& store,
                                                     jsonld::ContextRegistry& contexts,
                                                     Registry& registry,
                                                     subscriptions::Manager& delivery)
    : store_(store), contexts_(contexts), registry_(registry), delivery_(delivery) {
  for (const auto& stored : store_.documents(kKind)) reload(stored.tenant, stored.id, stored.document);
  delivery_.setRegistrationReport([this](const subscriptions::Outcome& o) {
    std::lock_guard lock(mutex_);
    auto t = tenants_.find(o.tenant);
    if (t == tenants_.end()) return;
    if (auto it = t->second.find(o.subscriptionId); it != t->second.end())
      record(it->second.sub.stats, o);
  });
  registry_.setListener([this](const std::string& tenant, const Registration* before,
                               const Registration* after) { onChange(tenant, before, after); });
  ticker_ = std::thread([this] {
    std::unique_lock lock(tickerMutex_);
    while (
        !tickerWake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; })) {
      lock.unlock();
      tick();
      lock.lock();
    }
  });
}

void RegistrationSubscriptions::reload(const std::string& tenant, const std::string& id,
                                       const std::optional<std::string>& document) {
  std::optional<Entry> fresh;
  if (document) {
    fresh.emplace();
    fresh->sub = subscriptions::parseStoredSubscription(id, *document, SubscriptionKind::Registrations);
    try {
      fresh->compiled = compile(fresh->sub);
    } catch (const std::exception& ex) {
      spdlog::error("registration subscription {} will not notify: {}", id, ex.what());
    }
  }
  std::lock_guard lock(mutex_);
  if (fresh)
    tenants_[tenant][id] = std::move(*fresh);
  else if (auto t = tenants_.find(tenant); t != tenants_.end())
    t->second.erase(id);
}

RegistrationSubscriptions::~RegistrationSubscriptions() {
  {
    std::lock_guard lock(tickerMutex_);
    stopping_ = true;
  }
  tickerWake_.notify_all();
  ticker_.join();
  registry_.setListener(nullptr);
  delivery_.setRegistrationReport(nullptr);
  std::lock_guard lock(mutex_);
  for (const auto& [tenant, subs] : tenants_)
    for (const auto& [id, e] : subs)
      if (store_.notifies(kKind, tenant, id))  // the statistics of its periodic notifications are this broker's
        store_.putDocument(kKind, {tenant, id, serializeSubscription(e.sub)});
}

std::shared_ptr<const RegistrationSubscriptions::Compiled> RegistrationSubscriptions::compile(
    const Subscription& s) {
  auto ctx = contexts_.resolve(s.context);
  auto compiled = std::make_shared<Compiled>();
  const auto& doc = s.doc;
  RegistrationQuery base;
  if (auto* w = doc.if_contains("watchedAttributes"))
    for (const auto& a : w->get_array()) base.attrs.emplace_back(a.get_string());
  if (auto* a = doc.at("notification").get_object().if_contains("attributes"))
    for (const auto& n : a->get_array()) base.attrs.emplace_back(n.get_string());
  if (auto* q = doc.if_contains("q"))
    base.q = query::parseQ(subscriptions::queryText(q->get_string()), *ctx);
  if (auto* q = doc.if_contains("csf"))
    base.csf = query::parseQ(subscriptions::queryText(q->get_string()), *ctx);
  if (auto* q = doc.if_contains("scopeQ"))
    base.scopeQ = query::parseScopeQ(subscriptions::queryText(q->get_string()));
  if (auto* g = doc.if_contains("geoQ")) base.geo = query::parseGeoQ(*g, *ctx);
  if (auto* t = doc.if_contains("temporalQ")) {
    auto text = [&t](std::string_view m) -> std::optional<std::string_view> {
      auto* x = t->get_object().if_contains(m);
      return x ? std::optional<std::string_view>(x->get_string()) : std::nullopt;
    };
    base.temporal = query::parseTemporalQ(text("timerel"), text("timeAt"), text("endTimeAt"),
                                          text("timeproperty"), std::nullopt);
  }
  if (auto* entities = doc.if_contains("entities")) {
    for (auto& selector : query::parseEntitySelectors(*entities, *ctx, true)) {
      RegistrationQuery q = base;
      q.ids = std::move(selector.ids);
      if (selector.idPattern) {
        q.idPattern = selector.idPattern->pattern();
        q.idPatternRegex = selector.idPattern;
      }
      q.types = std::move(selector.types);
      compiled->selectors.push_back(std::move(q));
    }
  } else {
    compiled->selectors.push_back(std::move(base));
  }
  if (auto* j = doc.if_contains("jsonldContext"))
    compiled->shape = subscriptions::compileShape(s, contexts_.resolve(*j), *j, *ctx);
  else
    compiled->shape = subscriptions::compileShape(s, ctx, s.context, *ctx);
  if (auto* i = doc.if_contains("timeInterval"))
    compiled->intervalMs = static_cast<int64_t>(i->to_number<double>() * 1000);
  return compiled;
}

namespace {

// The registration as the subscription's notification shows it (only the
// RegistrationInfos it matched), or nullopt if it does not match.
std::optional<json::object> shown(const std::vector<RegistrationQuery>& selectors,
                                  const subscriptions::NotificationShape& shape,
                                  const Registration& r, int64_t now) {
  std::set<size_t> infos;
  for (const auto& q : selectors)
    for (auto i : matchingInformation(q, r)) infos.insert(i);
  if (infos.empty() || !matchesFilters(selectors.front(), r, now)) return std::nullopt;
  Registration part = r;
  json::array information;
  for (auto i : infos) information.push_back(r.doc.at("information").get_array()[i]);
  part.doc["information"] = std::move(information);
  return renderRegistration(part, *shape.ctx, false);
}

}  // namespace

void RegistrationSubscriptions::notifyAll(const std::string& tenant, const std::string& id,
                                          const Compiled& compiled, std::string_view reason) {
  auto now = ngsi::nowMs();
  json::array data;
  for (const auto& r : registry_.list(tenant))
    if (auto s = shown(compiled.selectors, compiled.shape, r, now)) data.push_back(std::move(*s));
  if (data.empty()) return;
  delivery_.deliver(
      {tenant, id, subscriptions::buildNotification(compiled.shape, id, std::move(data), reason)});
}

void RegistrationSubscriptions::onChange(const std::string& tenant, const Registration* before,
                                         const Registration* after) {
  auto now = ngsi::nowMs();
  std::vector<std::pair<std::string, std::shared_ptr<const Compiled>>> subs;
  {
    std::lock_guard lock(mutex_);
    auto t = tenants_.find(tenant);
    if (t == tenants_.end()) return;
    for (const auto& [id, e] : t->second)
      if (e.compiled && live(e.sub, now)) subs.emplace_back(id, e.compiled);
  }
  for (const auto& [id, c] : subs) {
    auto was = before ? shown(c->selectors, c->shape, *before, now) : std::nullopt;
    auto is = after ? shown(c->selectors, c->shape, *after, now) : std::nullopt;
    if (!was && !is) continue;
    std::string_view reason = !was ? "newlyMatching" : !is ? "noLongerMatching" : "updated";
    json::array data{is ? std::move(*is) : std::move(*was)};
    delivery_.deliver(
        {tenant, id, subscriptions::buildNotification(c->shape, id, std::move(data), reason)});
  }
}

void RegistrationSubscriptions::tick() {
  auto now = ngsi::nowMs();
  std::vector<std::tuple<std::string, std::string, std::shared_ptr<const Compiled>>> due;
  {
    std::lock_guard lock(mutex_);
    for (auto& [tenant, subs] : tenants_)
      for (auto& [id, e] : subs) {
        if (!e.compiled || !e.compiled->intervalMs ||
            !store_.notifies(store::DocumentKind::RegistrationSubscription, tenant, id))
          continue;
        if (!e.nextDueMs)
          e.nextDueMs = now + e.compiled->intervalMs;  // the first went out on create
        if (now < e.nextDueMs) continue;
        e.nextDueMs = now + e.compiled->intervalMs;
        if (live(e.sub, now)) due.emplace_back(tenant, id, e.compiled);
      }
  }
  for (const auto& [tenant, id, compiled] : due) notifyAll(tenant, id, *compiled, "newlyMatching");
}

void RegistrationSubscriptions::create(const std::string& tenant, Subscription s) {
  std::lock_guard writing(writeMutex_);
  auto compiled = compile(s);
  std::string id = s.id;
  bool active = live(s, ngsi::nowMs());
  {
    std::lock_guard lock(mutex_);
    auto& subs = tenants_[tenant];
    if (subs.contains(id))
      fail(ErrorType::AlreadyExists, "a registration subscription with id '" + id + "' exists");
    store_.putDocument(kKind, {tenant, id, serializeSubscription(s)});
    subs[id] = Entry{std::move(s), compiled, 0};
  }
  if (active) notifyAll(tenant, id, *compiled, "newlyMatching");
}

Subscription RegistrationSubscriptions::get(const std::string& tenant, std::string_view id) const {
  std::lock_guard lock(mutex_);
  return entryOf(tenants_, tenant, id).sub;
}

void RegistrationSubscriptions::update(const std::string& tenant, std::string_view id,
                                       const std::function<void(Subscription&)>& change) {
  std::lock_guard writing(writeMutex_);
  Subscription s = get(tenant, id);
  change(s);
  auto compiled = compile(s);
  bool active = live(s, ngsi::nowMs());
  {
    std::lock_guard lock(mutex_);
    auto& e = entryOf(tenants_, tenant, id);
    s.stats = e.sub.stats;  // outcomes that arrived meanwhile
    store_.putDocument(kKind, {tenant, s.id, serializeSubscription(s)});
    e.sub = std::move(s);
    e.compiled = compiled;
    e.nextDueMs = 0;
  }
  if (active) notifyAll(tenant, std::string(id), *compiled, "newlyMatching");
}

void RegistrationSubscriptions::remove(const std::string& tenant, std::string_view id) {
  std::lock_guard writing(writeMutex_);
  {
    std::lock_guard lock(mutex_);
    entryOf(tenants_, tenant, id);
    store_.deleteDocument(kKind, tenant, id);
    tenants_.find(tenant)->second.erase(std::string(id));
  }
  delivery_.forget(tenant, std::string(id), SubscriptionKind::Registrations);
}

std::vector<Subscription> RegistrationSubscriptions::list(const std::string& tenant) const {
  std::lock_guard lock(mutex_);
  std::vector<Subscription> out;
  if (auto t = tenants_.find(tenant); t != tenants_.end())
    for (const auto& [id, e] : t->second) out.push_back(e.sub);
  return out;
}

}  // namespace allmende::federation
