// Matching an entity change against a compiled subscription: the entity (its
// new state, or its last state when deleted) must be selected, and a trigger
// must fire for a watched attribute (or for the entity as a whole).
#include "subscriptions/matcher.h"

#include "ngsi/datetime.h"
#include "ngsi/entity.h"

namespace allmende::subscriptions {

namespace json = boost::json;

namespace {

unsigned triggerBit(std::string_view name) {
  if (name == "entityCreated") return EntityCreated;
  if (name == "entityUpdated") return EntityUpdated;
  if (name == "entityDeleted") return EntityDeleted;
  if (name == "attributeCreated") return AttributeCreated;
  if (name == "attributeUpdated") return AttributeUpdated;
  return AttributeDeleted;
}

const json::object* attrsOf(const store::Entity& e) {
  auto* a = e.if_contains(ngsi::key::attrs);
  return a ? a->if_object() : nullptr;
}

// The instance of an attribute with the datasetId of `like` (absent = the default instance).
const json::value* sameInstance(const json::array& instances, const json::object& like) {
  auto* ds = like.if_contains(ngsi::key::datasetId);
  for (const auto& i : instances) {
    auto* ids = i.get_object().if_contains(ngsi::key::datasetId);
    if (ds ? ids && *ids == *ds : !ids) return &i;
  }
  return nullptr;
}

// Which attribute triggers the change fires, over the watched attributes; an
// instance (datasetId) that appears or disappears counts as created or deleted.
unsigned attributeTriggers(const Matcher& m, const json::object* before, const json::object* after) {
  unsigned fired = 0;
  auto check = [&](std::string_view name) {
    auto* b = before ? before->if_contains(name) : nullptr;
    auto* a = after ? after->if_contains(name) : nullptr;
    if (!b && a) fired |= AttributeCreated;
    if (b && !a) fired |= AttributeDeleted;
    if (!b || !a || *b == *a) return;
    for (const auto& inst : b->get_array()) {
      auto* now = sameInstance(a->get_array(), inst.get_object());
      if (!now)
        fired |= AttributeDeleted;
      else if (*now != inst)
        fired |= AttributeUpdated;
    }
    for (const auto& inst : a->get_array())
      if (!sameInstance(b->get_array(), inst.get_object())) fired |= AttributeCreated;
  };
  if (!m.watched.empty()) {
    for (const auto& w : m.watched) check(w);
    return fired;
  }
  if (after)
    for (const auto& [name, _] : *after) check(name);
  if (before)
    for (const auto& [name, _] : *before)
      if (!after || !after->contains(name)) check(name);
  return fired;
}

}  // namespace

std::vector<std::string> requiredTypes(const Matcher& m) {
  std::vector<std::string> out;
  for (const auto& s : m.selectors) {
    if (!s.types) return {};
    for (const auto& group : *s.types) {
      if (group.empty()) return {};
      out.push_back(group.front());
    }
  }
  return out;
}

std::vector<std::string> requiredIds(const Matcher& m) {
  std::vector<std::string> out;
  for (const auto& s : m.selectors) {
    if (s.ids.empty()) return {};
    out.insert(out.end(), s.ids.begin(), s.ids.end());
  }
  return out;
}

bool live(const Matcher& m, int64_t now) { return m.active && !(m.expiresAtMs && m.expiresAtMs <= now); }

bool selects(const Matcher& m, const store::Entity& entity, int64_t now, const query::EntityResolver& linked) {
  if (!m.selectors.empty()) {
    bool any = false;
    for (const auto& s : m.selectors) any = any || query::matches(s, entity);
    if (!any) return false;
  }
  if (m.q && !(m.q->linkDepth ? query::matches(*m.q, entity, now, linked) : query::matches(*m.q, entity, now)))
    return false;
  if (m.scopeQ && !query::matchesScope(*m.scopeQ, entity)) return false;
  return !m.geo || query::geoMatchesEntity(*m.geo, entity, now);
}

Matcher compileMatcher(const Subscription& s, const jsonld::Context& ctx) {
  Matcher m;
  const auto& d = s.doc;
  if (auto* e = d.if_contains("entities")) {
    // Types are stored expanded: expanding an IRI again leaves it as it is.
    m.selectors = query::parseEntitySelectors(*e, ctx, true);
  }
  if (auto* w = d.if_contains("watchedAttributes"))
    for (const auto& a : w->get_array()) m.watched.insert(std::string(a.get_string()));
  if (auto* t = d.if_contains("notificationTrigger")) {
    m.triggers = 0;
    for (const auto& name : t->get_array()) m.triggers |= triggerBit(name.get_string());
  }
  if (auto* q = d.if_contains("q")) m.q = query::parseQ(queryText(q->get_string()), ctx);
  if (auto* q = d.if_contains("scopeQ")) m.scopeQ = query::parseScopeQ(queryText(q->get_string()));
  if (auto* g = d.if_contains("geoQ")) m.geo = query::parseGeoQ(*g, ctx);
  if (auto* a = d.if_contains("isActive")) m.active = a->get_bool();
  if (auto* e = d.if_contains("expiresAt")) m.expiresAtMs = ngsi::parseDateTime(e->get_string()).value_or(0);
  if (auto* t = d.if_contains("throttling")) m.throttlingMs = static_cast<int64_t>(t->to_number<double>() * 1000);
  if (auto* t = d.if_contains("timeInterval")) m.intervalMs = static_cast<int64_t>(t->to_number<double>() * 1000);
  return m;
}

bool triggers(const Matcher& m, const store::Store::Change& change, int64_t now,
              const query::EntityResolver& linked) {
  if (m.intervalMs || !live(m, now)) return false;
  const auto& state = change.after ? change.after : change.before;
  if (!state || !selects(m, *state, now, linked)) return false;
  unsigned fired = attributeTriggers(m, change.before ? attrsOf(*change.before) : nullptr,
                                     change.after ? attrsOf(*change.after) : nullptr);
  if (!change.before) fired |= EntityCreated;
  else if (!change.after) fired |= EntityDeleted;
  else fired |= EntityUpdated;
  // Entity-level triggers stand for themselves; attribute triggers need a watched attribute.
  return (fired & m.triggers) != 0;
}

}  // namespace allmende::subscriptions
