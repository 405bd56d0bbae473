// Discovery matching: RegistrationInfos against the entity part of the query,
// then the registration as an entity against the value filters.
#include "federation/registration_query.h"

#include <re2/re2.h>

#include "jsonld/core_context.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "query/entity_selector.h"

namespace allmende::federation {

namespace json = boost::json;

namespace {

bool typeMatches(const RegistrationQuery& q, const EntityInfo& e) {
  if (!q.types || !e.type) return true;
  for (const auto& group : *q.types)
    for (const auto& type : group)
      if (type == *e.type) return true;
  return false;
}

// Whether an entity with that id may be one the EntityInfo names (its type aside).
bool entityMayBe(const EntityInfo& e, std::string_view id) {
  if (e.id) return *e.id == id;
  if (e.idPattern) return RE2::PartialMatch(id, RE2(*e.idPattern));
  return true;
}

bool idMatches(const RegistrationQuery& q, const EntityInfo& e) {
  if (q.ids.empty()) return true;
  for (const auto& id : q.ids)
    if (entityMayBe(e, id)) return true;
  return false;
}

bool idPatternMatches(const RegistrationQuery& q, const EntityInfo& e) {
  if (!q.idPattern) return true;
  if (e.idPattern) return true;  // two patterns may overlap: assumed to (5.12)
  if (e.id) return RE2::PartialMatch(*e.id, *q.idPatternRegex);
  return true;
}

bool infoMatches(const RegistrationQuery& q, const RegistrationInfo& info) {
  if (!q.attrs.empty()) {
    bool any = false;
    for (const auto& a : q.attrs) any = any || info.hasAttribute(a);
    if (!any) return false;
  }
  if (info.entities.empty()) return true;
  for (const auto& e : info.entities)
    if (typeMatches(q, e) && idMatches(q, e) && idPatternMatches(q, e)) return true;
  return false;
}

bool temporalMatches(const query::TemporalQ& t, const Registration& r) {
  const char* member = t.timeProperty == query::TimeProperty::ObservedAt  ? "observationInterval"
                       : t.timeProperty == query::TimeProperty::DeletedAt ? nullptr
                                                                          : "managementInterval";
  auto* interval = member ? r.doc.if_contains(member) : nullptr;
  if (!interval) return false;
  const auto& o = interval->get_object();
  int64_t start = *ngsi::parseDateTime(o.at("startAt").get_string());
  int64_t end = std::numeric_limits<int64_t>::max();
  if (auto* e = o.if_contains("endAt")) end = *ngsi::parseDateTime(e->get_string());
  return start < t.toMs && end > t.fromMs;
}

}  // namespace

bool mayHoldTime(const query::TemporalQ& t, const Registration& r) {
  const char* member = t.timeProperty == query::TimeProperty::ObservedAt  ? "observationInterval"
                       : t.timeProperty == query::TimeProperty::DeletedAt ? nullptr
                                                                          : "managementInterval";
  if (!t.timerel || !member || !r.doc.contains(member)) return true;
  return temporalMatches(t, r);
}

bool mayHoldPlace(const query::GeoQuery& g, const Registration& r) {
  const json::value* area = nullptr;
  for (std::string_view member : {"location", "operationSpace", "observationSpace"})
    if (!area) area = r.doc.if_contains(member);
  if (!area || g.rel == query::GeoRel::Disjoint) return true;
  if (g.rel == query::GeoRel::Near && !g.maxDistance) return true;
  auto q = g;
  if (q.rel != query::GeoRel::Near) q.rel = query::GeoRel::Intersects;
  return query::geoMatches(q, *area);
}

json::object registrationAsEntity(const Registration& r) {
  const auto& core = *jsonld::coreContext();
  json::object entity{{"id", r.id},
                      {"type", json::array{core.expand("ContextSourceRegistration")}}};
  json::object attrs;
  for (const auto& [name, value] : r.doc) {
    if (name == "id" || name == "type" || name == "information") continue;
    if (name == "scope") {
      entity["scope"] = value.is_array() ? value : json::array{value};
      continue;
    }
    json::object instance;
    if (name == "location" || name == "observationSpace" || name == "operationSpace") {
      instance = {{"type", "GeoProperty"}, {"value", value}};
    } else if (const auto* o = value.if_object();
               o && o->contains("type") && o->contains("value")) {
      instance = *o;
    } else {
      instance = {{"type", "Property"}, {"value", value}};
    }
    attrs[name.find(':') == std::string_view::npos ? core.expand(name) : std::string(name)] =
        json::array{std::move(instance)};
  }
  entity["attrs"] = std::move(attrs);
  return entity;
}

bool mayHoldId(const RegistrationInfo& info, std::string_view id) {
  if (info.entities.empty()) return true;
  for (const auto& e : info.entities)
    if (entityMayBe(e, id)) return true;
  return false;
}

std::vector<size_t> matchingInformation(const RegistrationQuery& q, const Registration& r) {
  std::vector<size_t> out;
  auto information = informationOf(r);
  for (size_t i = 0; i < information.size(); ++i)
    if (infoMatches(q, information[i])) out.push_back(i);
  return out;
}

bool matches(const RegistrationQuery& q, const Registration& r, int64_t now) {
  return !matchingInformation(q, r).empty() && matchesFilters(q, r, now);
}

bool matchesFilters(const RegistrationQuery& q, const Registration& r, int64_t now) {
  if (q.temporal && q.temporal->timerel && !temporalMatches(*q.temporal, r)) return false;
  if (!q.q && !q.csf && !q.scopeQ && !q.geo) return true;
  auto entity = registrationAsEntity(r);
  if (q.q && !query::matches(*q.q, entity, now)) return false;
  if (q.csf && !query::matches(*q.csf, entity, now)) return false;
  if (q.scopeQ && !query::matchesScope(*q.scopeQ, entity)) return false;
  return !q.geo || query::geoMatchesEntity(*q.geo, entity, now);
}

}  // namespace allmende::federation
