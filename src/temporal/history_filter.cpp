// History filters: the scope's validity spans from its instances in time
// order, then one stand-in entity per candidate built from the instances
// within them, of the attributes the filters name only.
#include "temporal/history_filter.h"

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "ngsi/entity.h"
#include "ngsi/parse.h"
#include "query/entity_selector.h"
#include "temporal/history_query.h"

namespace allmende::temporal {

namespace json = boost::json;

namespace {

// The evaluators' "now" at which no instance has expired: history keeps what expired since.
constexpr int64_t kNothingExpired = std::numeric_limits<int64_t>::min();

using Span = std::pair<int64_t, int64_t>;

// A deletion: recorded by a delete (deletedAt), or sent to the temporal API as
// an instance whose value is the NGSI-LD null.
bool isDeletion(const store::HistoryInstance& h) {
  if (h.instance.contains("deletedAt")) return true;
  auto* v = h.instance.if_contains(ngsi::valueMember(ngsi::kindOf(h.instance)));
  return v && ngsi::isNgsiNull(*v);
}

// The attributes (expanded IRIs) the terms of an expression compare.
void namedAttributes(const query::Expr& e, std::set<std::string>& out) {
  if (e.kind != query::Expr::Kind::Term) {
    for (const auto& c : e.children) namedAttributes(*c, out);
    return;
  }
  const auto& path = e.term.path;
  if (path.attributes.size() == 1 && path.member != query::AttrPath::Member::Value)
    return;  // the entity's own createdAt or modifiedAt
  out.insert(path.attributes.front());
}

struct ScopeSpans {
  std::vector<Span> spans;  // ascending, disjoint, within [q.fromMs, q.toMs)
  std::optional<store::HistoryInstance> atStart;
};

// Where within q's time a scope matching scopeQ was valid: each scope instance
// from its time to the next instance's (a deletion ends it too). Times are those
// of q's time property; an instance without it (a scope the entity API wrote has
// no createdAt) counts at the time that orders the history.
ScopeSpans scopeSpans(const store::Store& store, std::string_view tenant, const std::string& id,
                      const query::Expr& scopeQ, const query::TemporalQ& q) {
  std::vector<std::pair<int64_t, store::HistoryInstance>> scopes;  // (time, instance)
  forEachInstance<store::HistoryInstance>(
      store, tenant, id, std::string(ngsi::key::scope), "", query::TemporalQ{}, true, {},
      [&scopes, &q](store::HistoryInstance& h) {
        auto t = instanceTime(h, q.timeProperty).value_or(h.timeMs);
        scopes.emplace_back(t, std::move(h));
        return true;
      });
  std::stable_sort(scopes.begin(), scopes.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  ScopeSpans out;
  for (size_t i = 0; i < scopes.size(); ++i) {
    const auto& [setAt, h] = scopes[i];
    auto* value = h.instance.if_contains("value");
    if (!value || isDeletion(h)) continue;
    json::object holder;
    holder[ngsi::key::scope] = *value;
    if (!query::matchesScope(scopeQ, holder)) continue;
    int64_t until =
        i + 1 < scopes.size() ? scopes[i + 1].first : std::numeric_limits<int64_t>::max();
    int64_t from = std::max(setAt, q.fromMs), to = std::min(until, q.toMs);
    if (from >= to) continue;
    if (setAt < q.fromMs) out.atStart = h;
    if (!out.spans.empty() && out.spans.back().second == from)
      out.spans.back().second = to;
    else
      out.spans.emplace_back(from, to);
  }
  return out;
}

// The entity with, for each named attribute, its instances that q selects (any
// datasetId, deletions left out, lastN ignored).
json::object standIn(const store::Store& store, std::string_view tenant,
                     const store::HistoryEntity& entity, const std::set<std::string>& names,
                     query::TemporalQ q) {
  q.lastN.reset();
  json::object attrs;
  for (const auto& [attribute, datasetId] : store.historyAttributes(tenant, entity.id)) {
    if (!names.contains(attribute)) continue;
    auto& instances = attrs[attribute];
    if (!instances.is_array()) instances = json::array();
    forEachInstance<store::HistoryInstance>(
        store, tenant, entity.id, attribute, datasetId, q, false, {},
        [&instances](store::HistoryInstance& h) {
          if (!isDeletion(h)) instances.get_array().push_back(std::move(h.instance));
          return true;
        });
  }
  json::object out;
  out[ngsi::key::id] = entity.id;
  json::array types;
  for (const auto& t : entity.types) types.emplace_back(t);
  out[ngsi::key::type] = std::move(types);
  out[ngsi::key::createdAt] = entity.createdAtMs;
  out[ngsi::key::attrs] = std::move(attrs);
  return out;
}

}  // namespace

std::optional<HistoryMatch> matchHistory(const store::Store& store, std::string_view tenant,
                                         const store::HistoryEntity& entity,
                                         const query::ValueFilters& filters,
                                         const query::TemporalQ& q) {
  HistoryMatch match{q, std::nullopt};
  if (filters.scopeQ) {
    auto s = scopeSpans(store, tenant, entity.id, *filters.scopeQ, q);
    if (s.spans.empty()) return std::nullopt;
    if (s.spans.size() > 1 || s.spans[0] != Span(q.fromMs, q.toMs))
      match.q.spans = std::move(s.spans);
    match.scopeAtStart = std::move(s.atStart);
  }
  if (!filters.q && !filters.geo) return match;
  std::set<std::string> names;
  if (filters.q) namedAttributes(*filters.q, names);
  if (filters.geo) names.insert(filters.geo->geoproperty);
  auto e = standIn(store, tenant, entity, names, match.q);
  if (filters.q && !query::matches(*filters.q, e, kNothingExpired, filters.linked))
    return std::nullopt;
  if (filters.geo && !query::geoMatchesEntity(*filters.geo, e, kNothingExpired))
    return std::nullopt;
  return match;
}

void showScopeAtStart(std::vector<Series>& series, const HistoryRequest& request,
                      const HistoryMatch& match) {
  const std::string name(ngsi::key::scope);
  if (!match.scopeAtStart || (request.attrs && !request.attrs->contains(name)) ||
      (request.datasetIds && !request.datasetIds->contains("@none")))
    return;
  auto it = std::find_if(series.begin(), series.end(), [&name](const Series& s) {
    return s.attribute == name && s.datasetId.empty();
  });
  if (it == series.end())
    it = series.insert(
        std::lower_bound(series.begin(), series.end(), name,
                         [](const Series& s, const std::string& n) { return s.attribute < n; }),
        Series{name, "", {}});
  it->instances.insert(it->instances.begin(), *match.scopeAtStart);
}

}  // namespace allmende::temporal
