// Temporal retrieval and query (clause 5.7.3, 5.7.4, 5.14.5; 6.18-6.19, 6.24,
// 6.35): GET /temporal/entities/{id}, GET /temporal/entities,
// POST /temporal/entityOperations/query, and GET/POST /temporal/entityMaps
// (an EntityMap of the entities such a query selects). The parameters become a
// temporal::HistoryRequest and render options; the entities come from the
// store's history records (deleted entities included), selected by id,
// idPattern and type, by the attributes they have history of, and by q,
// scopeQ and the geo-query evaluated on their history (temporal/history_filter.h).
#include <algorithm>
#include <functional>
#include <memory>
#include <set>

#include "api/distributed.h"
#include "api/entity_access.h"
#include "api/entity_maps.h"
#include "api/entity_selection.h"
#include "api/paging.h"
#include "api/routes.h"
#include "common/reusable_arena.h"
#include "ngsi/error.h"
#include "federation/registration_query.h"
#include "federation/registry.h"
#include "query/entity_selector.h"
#include "query/q.h"
#include "query/type_expr.h"
#include "temporal/aggregation.h"
#include "temporal/history_filter.h"
#include "temporal/history_query.h"
#include "temporal/instance_limit.h"
#include "temporal/remote_history.h"
#include "temporal/temporal_render.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

// What a temporal request asks, from its parameters.
struct TemporalParams {
  temporal::HistoryRequest history;  // its instances are made in *historyArena
  temporal::TemporalRenderOptions render;  // renders into *renderArena
  std::optional<temporal::Aggregation> aggregation;  // aggregatedValues
  // Made again for each entity of an answer (drop), in the same memory.
  std::unique_ptr<ReusableArena> historyArena = std::make_unique<ReusableArena>();
  std::unique_ptr<ReusableArena> renderArena = std::make_unique<ReusableArena>();
};

TemporalParams temporalParams(Call& call) {
  TemporalParams p;
  auto& o = p.render;
  o.base = renderOptions(call, {"temporalValues", "aggregatedValues"});
  o.base.storage = p.renderArena.get();
  // The representation: format decides when given (6.3.12), else options;
  // aggrMethods alone asks for aggregatedValues too.
  bool aggregated = false;
  if (auto f = call.req.param("format");
      f && (*f == "temporalValues" || *f == "aggregatedValues")) {
    o.temporalValues = *f == "temporalValues";
    aggregated = *f == "aggregatedValues";
  } else {
    for (const auto& v : call.listParam("options")) {
      o.temporalValues = o.temporalValues || v == "temporalValues";
      aggregated = aggregated || v == "aggregatedValues";
    }
    if (o.base.format == ngsi::Format::Simplified)
      o.temporalValues = true;  // simplified = temporalValues
    if (aggregated && o.temporalValues)
      fail(ErrorType::BadRequestData,
           "temporalValues and aggregatedValues cannot be used together");
    aggregated = aggregated || (!o.temporalValues && call.req.param("aggrMethods"));
  }
  if (aggregated)
    p.aggregation = temporal::parseAggregation(call.req.param("aggrMethods"),
                                               call.req.param("aggrPeriodDuration"));
  if (o.base.pick) {
    for (const auto& [name, linked] : o.base.pick->linked)
      fail(ErrorType::BadRequestData, "pick cannot select members of linked entities ('" + name +
                                          "{...}') in the temporal API");
  }
  p.history.q = query::parseTemporalQ(call.req.param("timerel"), call.req.param("timeAt"),
                                      call.req.param("endTimeAt"), call.req.param("timeproperty"),
                                      call.req.param("lastN"));
  o.timeProperty = p.history.q.timeProperty;
  if (o.base.attrs) p.history.attrs = o.base.attrs;
  p.history.datasetIds = o.base.datasetIds;
  p.history.deadline = &call.deadline;
  p.history.storage = p.historyArena.get();
  return p;
}

// What a request selects of one entity's history: its instances, or their aggregation.
struct EntityHistory {
  store::HistoryEntity entity;
  std::vector<temporal::Series> series;
  std::vector<temporal::AggregatedSeries> aggregated;
  bool empty() const { return series.empty() && aggregated.empty(); }
};

// True if the caller may read the entity's history (auth/access.h, judged on
// historySubject); `subject` gets what it was judged on when that was needed.
bool mayReadHistory(Call& call, const std::string& id, std::optional<json::object>& subject) {
  const auto& access = *call.access();
  if (access.readsEverything()) return true;
  subject = historySubject(call, id);
  return subject && access.mayRead(*subject);
}

// The attributes a q expression compares.
void namedAttributes(const query::Expr& e, std::vector<std::string>& out) {
  if (e.kind != query::Expr::Kind::Term) {
    for (const auto& c : e.children) namedAttributes(*c, out);
    return;
  }
  if (!e.term.path.attributes.empty()) out.push_back(e.term.path.attributes.front());
}

// `match` (the value filters' verdict, if any) narrows the time to the spans it found.
// `raw`: the instances even for aggregatedValues (to be merged with the sources' first).
EntityHistory readAllHistory(Call& call, store::HistoryEntity entity, const TemporalParams& p,
                             const temporal::HistoryMatch* match, bool* attributeMatched, bool raw) {
  auto& store = call.services.store;
  EntityHistory h{std::move(entity), {}, {}};
  auto request = p.history;
  if (match) request.q = match->q;
  if (p.aggregation && !raw) {
    h.aggregated = temporal::aggregateHistory(store, call.tenant(), h.entity.id, request,
                                              *p.aggregation, attributeMatched);
    return h;
  }
  h.series = temporal::readHistory(store, call.tenant(), h.entity.id, request, attributeMatched);
  if (match) temporal::showScopeAtStart(h.series, request, *match);
  return h;
}

// readAllHistory as the caller may see it: nothing of an entity it may not
// read, and not the attributes it may not see.
EntityHistory readEntityHistory(Call& call, store::HistoryEntity entity, const TemporalParams& p,
                                const temporal::HistoryMatch* match = nullptr,
                                bool* attributeMatched = nullptr, bool raw = false) {
  std::optional<json::object> subject;
  if (!mayReadHistory(call, entity.id, subject)) return EntityHistory{std::move(entity), {}, {}};
  auto h = readAllHistory(call, std::move(entity), p, match, attributeMatched, raw);
  if (subject) {  // a caller that may not read everything
    const auto& access = *call.access();
    auto hidden = [&](const std::string& attribute) { return !access.sees(*subject, attribute); };
    std::erase_if(h.series, [&](const temporal::Series& s) { return hidden(s.attribute); });
    std::erase_if(h.aggregated, [&](const temporal::AggregatedSeries& s) { return hidden(s.attribute); });
  }
  return h;
}

json::object renderHistory(Call& call, const EntityHistory& h, const TemporalParams& p) {
  if (p.aggregation)
    return temporal::renderAggregatedEntity(h.entity, h.aggregated, call.context(), p.render);
  return temporal::renderTemporalEntity(h.entity, h.series, call.context(), p.render);
}

// Temporal pagination's mark on an answer (6.3.10): 206 with Content-Range when the instance
// limit cut its time range.
void markCut(http::Response& res, const temporal::InstanceLimit& limit, const TemporalParams& p) {
  if (!limit.cutting()) return;
  res.status = 206;
  res.setHeader("Content-Range", temporal::contentRange(limit.cut(), p.history.q));
}

// Drops an entity's history and its rendering, and the memory they were made in.
void drop(EntityHistory& h, const TemporalParams& p) {
  h = {};
  p.renderArena->reset();
  p.historyArena->reset();
}

// Distributed temporal reads (docs/federation.md): the sources registered for
// retrieveTemporal or queryTemporal are asked with the client's temporal query
// and selection (for the instances, in the normalized form), and their
// instances join the local ones series by series; aggregatedValues are made of
// the merged series.

// What of a temporal read's parameters goes to the sources (attrs are narrowed per source).
const std::set<std::string_view> kForwardedParams = {
    "type",        "id",         "idPattern", "q",        "scopeQ",       "georel", "geometry", "coordinates",
    "geoproperty", "datasetId", "timerel",   "timeAt",   "endTimeAt",    "timeproperty", "lastN"};

std::vector<std::pair<std::string, std::string>> forwardedParams(const Call& call) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : call.req.query)
    if (kForwardedParams.contains(name)) out.emplace_back(name, value);
  return out;
}

std::vector<std::string> expandedAttrs(Call& call) {
  std::vector<std::string> out;
  for (const auto& a : call.listParam("attrs")) out.push_back(call.context().expand(a));
  return out;
}

// Leaves out the sources whose registrations name a time of their data
// (observationInterval, managementInterval) outside the query's range.
void keepTimely(std::vector<federation::Source>& sources, const query::TemporalQ& t) {
  std::erase_if(sources, [&t](const federation::Source& s) { return !federation::mayHoldTime(t, s.registration); });
}

// Adds to h (read raw) what the sources answered of its entity, and aggregates
// the merged series for aggregatedValues.
// False (and h emptied) when the caller may not read the entity: judged as a
// local entity's history is, else on the id and types the sources gave;
// the attributes it may not see are left out.
bool mergeRemote(Call& call, EntityHistory& h, Remote& remote, const TemporalParams& p) {
  const auto& ctx = call.context();
  for (const auto& answer : remote.answers)
    for (const auto& e : answer.entities)
      if (e.at("id").get_string() == h.entity.id) {
        temporal::mergeSeries(h.series, temporal::remoteSeries(e, ctx), p.history.q);
        if (h.entity.types.empty()) h.entity.types = temporal::remoteEntity(e, ctx).types;
      }
  if (const auto& access = *call.access(); !access.readsEverything()) {
    auto subject = historySubject(call, h.entity.id);
    if (!subject) subject = entityStub(h.entity.id, h.entity.types);
    if (!access.mayRead(*subject)) {
      h.series.clear();
      return false;
    }
    std::erase_if(h.series, [&](const temporal::Series& s) { return !access.sees(*subject, s.attribute); });
  }
  if (p.aggregation) {
    h.aggregated = temporal::aggregateSeries(h.series, p.history.q, *p.aggregation);
    h.series.clear();
  }
  return true;
}

http::Response retrieveAnswer(Call& call, Remote* remote);

http::Response retrieveTemporal(Call& call) {
  call.allowParams({"attrs", "pick", "omit", "options", "format", "lang", "datasetId", "timerel",
                    "timeAt", "endTimeAt", "timeproperty", "lastN", "aggrMethods",
                    "aggrPeriodDuration", "local", "entityMap", "entityMapLifetime"});
  auto id = entityIdParam(call);
  if (mayForward(call)) {
    call.requireTenant();
    federation::RegistrationQuery q;
    q.ids = {id};
    q.attrs = expandedAttrs(call);
    auto sources = sourcesFor(call, call.services.registrations.list(call.tenant()), q,
                              {"retrieveTemporal", "queryTemporal"});
    keepTimely(sources, query::parseTemporalQ(call.req.param("timerel"), call.req.param("timeAt"),
                                              call.req.param("endTimeAt"), call.req.param("timeproperty"),
                                              call.req.param("lastN")));
    if (!sources.empty()) {
      auto client = clientRequest(call);
      auto params = forwardedParams(call);
      std::vector<federation::ForwardRequest> requests;
      for (const auto& s : sources) {
        auto one = params;
        std::string path = "/temporal/entities/" + http::percentEncode(id);
        if (s.operation == "queryTemporal") {
          path = "/temporal/entities";
          one.emplace_back("id", id);
          if (s.type) one.emplace_back("type", call.context().compact(*s.type));
        }
        requests.push_back(federation::temporalRequest(s, client, path, std::move(one), q.attrs));
      }
      return forwardThen(call, std::move(sources), std::move(requests), true,
                         [](Call& again, Remote& remote) { return retrieveAnswer(again, &remote); });
    }
  }
  return retrieveAnswer(call, nullptr);
}

http::Response retrieveAnswer(Call& call, Remote* remote) {
  auto id = entityIdParam(call);
  auto mapUse = entityMapUse(call);
  auto media = negotiate(call.req, false);
  auto p = temporalParams(call);
  call.requireTenant();
  auto entity = call.services.store.historyEntity(call.tenant(), id);
  if (std::optional<json::object> subject; entity && !mayReadHistory(call, id, subject)) entity.reset();  // as if absent
  bool elsewhere = false;
  if (remote)
    for (const auto& answer : remote->answers)
      for (const auto& e : answer.entities) elsewhere = elsewhere || e.at("id").get_string() == id;
  if (!entity && !elsewhere)
    fail(ErrorType::ResourceNotFound,
         "no temporal representation of an entity with id '" + id + "'");
  bool matched = false;
  EntityHistory h;
  if (entity) {
    h = readEntityHistory(call, std::move(*entity), p, nullptr, &matched, remote != nullptr);
  } else {
    h.entity.id = id;
  }
  if (remote) {
    if (!mergeRemote(call, h, *remote, p))
      fail(ErrorType::ResourceNotFound, "no temporal representation of an entity with id '" + id + "'");
    matched = matched || !h.empty();
  }
  if (p.history.attrs && !matched)
    fail(ErrorType::ResourceNotFound,
         "the entity '" + id + "' has no history of the requested attributes");
  temporal::InstanceLimit limit(p.history.q, call.services.limits.temporalInstances);
  limit.observe(h.series);
  limit.apply(h.series);
  auto rendered = renderHistory(call, h, p);
  if ((p.render.base.pick || p.render.base.omit) && rendered.empty())
    fail(ErrorType::ResourceNotFound, "pick/omit leave nothing of the entity '" + id + "'");
  auto res = call.respond(200, std::move(rendered), media);
  markCut(res, limit, p);
  finishEntityMap(call, mapUse, {id}, res);
  return res;
}

// Which entities a temporal query selects.
struct TemporalSelection {
  std::vector<query::EntitySelector> selectors;  // OR; empty = any entity
  query::ValueFilters filters;                   // evaluated on the history
};

// The members of an entity that are not attributes: naming only these in attrs selects nothing.
bool isSystemMember(std::string_view n) {
  return n == "id" || n == "type" || n == "createdAt" || n == "modifiedAt" || n == "deletedAt" ||
         n == "scope" || n == "expiresAt";
}

// orderBy of a temporal query (5.7.4.4): only id, ascending (the default) or descending.
bool newestIdFirst(const Call& call) {
  auto orderBy = call.req.param("orderBy");
  if (!orderBy || *orderBy == "id" || *orderBy == "id;asc") return false;
  if (*orderBy == "id;desc") return true;
  fail(ErrorType::BadRequestData,
       "a temporal query can be ordered by id only (orderBy=id, id;asc or id;desc), not '" +
           std::string(*orderBy) + "'");
}

bool selected(const TemporalSelection& s, const store::HistoryEntity& e) {
  if (s.selectors.empty()) return true;
  auto stub = entityStub(e.id, e.types);  // what a selector looks at: id and types
  bool any = false;
  for (const auto& sel : s.selectors) any = any || query::matches(sel, stub);
  return any;
}

using Match = std::optional<temporal::HistoryMatch>;

// Calls visit with the history of each entity the query selects (and what its value
// filters found), in id order (or reversed: orderBy), until visit returns false; only the
// entities of `map` when given. The history is dropped when visit returns.
void forEachSelected(Call& call, const TemporalSelection& selection, const TemporalParams& p,
                     const std::optional<EntityMap>& map,
                     const std::function<bool(EntityHistory&, const Match&)>& visit) {
  auto& store = call.services.store;
  auto candidates = store.historyEntities(call.tenant());
  if (map)
    std::erase_if(candidates, [&map](const store::HistoryEntity& e) {
      return std::find(map->entityIds.begin(), map->entityIds.end(), e.id) == map->entityIds.end();
    });
  if (newestIdFirst(call)) std::reverse(candidates.begin(), candidates.end());
  for (auto& e : candidates) {
    call.deadline.check();
    if (!selected(selection, e)) continue;
    std::optional<json::object> subject;
    if (!mayReadHistory(call, e.id, subject)) continue;
    if (subject && selection.filters.q) {  // q may not select by what the caller may not see
      std::vector<std::string> named;
      namedAttributes(*selection.filters.q, named);
      if (std::any_of(named.begin(), named.end(),
                      [&](const std::string& a) { return !call.access()->sees(*subject, a); }))
        continue;
    }
    Match match;
    if (selection.filters.any()) {
      match = temporal::matchHistory(store, call.tenant(), e, selection.filters, p.history.q);
      if (!match) continue;
    }
    auto h = readEntityHistory(call, std::move(e), p, match ? &*match : nullptr);
    bool go = h.empty() || visit(h, match);  // an entity none of whose history is selected is not
    drop(h, p);
    if (!go) return;
  }
}

http::Response answerQuery(Call& call, const TemporalSelection& selection,
                           const TemporalParams& p) {
  auto media = negotiate(call.req, false);
  auto paging = pagingParams(call);
  call.requireTenant();
  // With an EntityMap every candidate is visited, and the ids of those that match are the map.
  auto mapUse = entityMapUse(call);
  std::vector<std::string> mapped;
  // Each entity of the page is rendered and written as it is read, then dropped: a large
  // answer (1,000 entities of a day's history each) stays in the cache. When the instance
  // limit cuts, the page's entities are read again and cut to the common range.
  Call::ArrayAnswer answer(call, media, paging.limit);
  temporal::InstanceLimit limit(p.history.q, call.services.limits.temporalInstances);
  std::vector<std::pair<store::HistoryEntity, Match>> page;
  size_t matched = 0;
  bool more = false;
  forEachSelected(call, selection, p, mapUse.live, [&](EntityHistory& h, const Match& match) {
    if (mapUse.active) mapped.push_back(h.entity.id);
    if (matched++ < paging.offset) return true;
    if (page.size() >= paging.limit) {
      more = true;
      return paging.count || mapUse.active;
    }
    page.emplace_back(h.entity, match);
    limit.observe(h.series);
    if (!limit.cutting()) answer.add(renderHistory(call, h, p));
    return true;
  });
  if (limit.cutting()) {
    answer.restart();
    for (const auto& [entity, match] : page) {
      auto h = readEntityHistory(call, entity, p, match ? &*match : nullptr);
      limit.apply(h.series);
      answer.add(renderHistory(call, h, p));
      drop(h, p);
    }
  }
  auto res = answer.finish(200);
  markCut(res, limit, p);
  if (finishEntityMap(call, mapUse, std::move(mapped), res)) res.status = 201;  // a map was made
  addPageHeaders(call, res, paging, more, matched, media);
  return res;
}

// A temporal query that sources answered too: the local matches and the
// sources' entities, merged by id and ordered by id, make the pages.
http::Response answerDistributed(Call& call, const TemporalSelection& selection, const TemporalParams& p,
                                 Remote& remote) {
  auto media = negotiate(call.req, false);
  auto paging = pagingParams(call);
  call.requireTenant();
  auto mapUse = entityMapUse(call);
  std::map<std::string, std::pair<store::HistoryEntity, Match>> local;
  forEachSelected(call, selection, p, std::nullopt, [&local](EntityHistory& h, const Match& match) {
    local.emplace(h.entity.id, std::pair{h.entity, match});
    return true;
  });
  std::set<std::string> ids;
  for (const auto& [id, _] : local) ids.insert(id);
  for (const auto& answer : remote.answers)
    for (const auto& e : answer.entities) ids.emplace(e.at("id").get_string());
  if (mapUse.live)
    std::erase_if(ids, [&mapUse](const std::string& id) {
      const auto& mapped = mapUse.live->entityIds;
      return std::find(mapped.begin(), mapped.end(), id) == mapped.end();
    });
  std::vector<std::string> ordered(ids.begin(), ids.end());
  if (newestIdFirst(call)) std::reverse(ordered.begin(), ordered.end());
  auto from = std::min(paging.offset, ordered.size());
  auto to = std::min(from + paging.limit, ordered.size());
  temporal::InstanceLimit limit(p.history.q, call.services.limits.temporalInstances);
  std::vector<EntityHistory> page;
  for (auto i = from; i < to; ++i) {
    EntityHistory h;
    if (auto l = local.find(ordered[i]); l != local.end())
      h = readEntityHistory(call, l->second.first, p, l->second.second ? &*l->second.second : nullptr, nullptr,
                            true);
    else
      h.entity.id = ordered[i];
    if (!mergeRemote(call, h, remote, p)) continue;  // one only sources hold, which the caller may not read
    limit.observe(h.series);
    page.push_back(std::move(h));
  }
  Call::ArrayAnswer answer(call, media, paging.limit);
  for (auto& h : page) {
    if (limit.cutting()) limit.apply(h.series);
    answer.add(renderHistory(call, h, p));
  }
  auto res = answer.finish(200);
  markCut(res, limit, p);
  if (finishEntityMap(call, mapUse, ordered, res)) res.status = 201;  // a map was made
  addPageHeaders(call, res, paging, to < ordered.size(), ordered.size(), media);
  return res;
}

// GET/POST /temporal/entityMaps (5.14.5, 6.35): a new EntityMap of the entities the query selects.
// A temporal query (timerel) is required (5.14.5.4).
http::Response answerMap(Call& call, const TemporalSelection& selection, const TemporalParams& p) {
  if (!p.history.q.timerel)
    fail(ErrorType::BadRequestData,
         "an EntityMap for a temporal query needs the temporal query (timerel and timeAt)");
  auto use = entityMapUse(call);
  call.requireTenant();
  std::vector<std::string> ids;
  forEachSelected(call, selection, p, std::nullopt, [&ids](EntityHistory& h, const Match&) {
    ids.push_back(h.entity.id);
    return true;
  });
  return createdMapResponse(call, std::move(ids), use.lifetimeMs);
}

using Answer = http::Response (*)(Call&, const TemporalSelection&, const TemporalParams&);

// A temporal query (answerQuery) that registered sources answer too (those
// that may hold data of its time range `t`): each gets `forwarded` and the
// client's `attrs` (expanded; narrowed to what it holds);
// `again` answers once they did. nullopt when no source is registered for it.
std::optional<http::Response> forwardTemporalQuery(Call& call, const federation::RegistrationQuery& registrations,
                                                   const query::TemporalQ& t,
                                                   std::vector<std::pair<std::string, std::string>> forwarded,
                                                   const std::vector<std::string>& attrs,
                                                   std::function<http::Response(Call&, Remote&)> again) {
  if (!mayForward(call)) return std::nullopt;
  call.requireTenant();
  auto sources = sourcesFor(call, call.services.registrations.list(call.tenant()), registrations, {"queryTemporal"});
  keepTimely(sources, t);
  if (sources.empty()) return std::nullopt;
  auto paging = pagingParams(call);
  forwarded.emplace_back("limit", std::to_string(std::min(paging.offset + std::max<size_t>(paging.limit, 1) + 1,
                                                          call.services.limits.maxLimit)));
  auto client = clientRequest(call);
  std::vector<federation::ForwardRequest> requests;
  for (const auto& s : sources)
    requests.push_back(federation::temporalRequest(s, client, "/temporal/entities", forwarded, attrs));
  return forwardThen(call, std::move(sources), std::move(requests), true, std::move(again));
}

// GET /temporal/entities (answerQuery, with the sources' answers when `remote`)
// and GET /temporal/entityMaps (answerMap).
http::Response queryByParams(Call& call, Answer answer, Remote* remote = nullptr) {
  call.allowParams({"id",           "idPattern", "type",        "attrs",
                    "pick",         "omit",      "q",           "scopeQ",
                    "georel",       "geometry",  "coordinates", "geoproperty",
                    "csf",          "options",   "format",      "lang",
                    "datasetId",    "timerel",   "timeAt",      "endTimeAt",
                    "timeproperty", "lastN",     "aggrMethods", "aggrPeriodDuration",
                    "limit",        "offset",    "count",       "local",
                    "expandValues", "orderBy",   "entityMap",   "entityMapLifetime"});
  auto p = temporalParams(call);
  TemporalSelection s;
  query::EntitySelector sel;
  sel.ids = query::checkedIds(call.listParam("id"));
  if (auto pattern = call.req.param("idPattern")) sel.idPattern = query::compileIdPattern(*pattern);
  if (auto t = call.req.param("type"); t && *t != "*")
    sel.types = query::parseTypeSelection(*t, call.context());
  bool restricted = sel.types || call.req.param("type");
  for (const auto& a : call.listParam("attrs")) restricted = restricted || !isSystemMember(a);
  if (!sel.ids.empty() || sel.idPattern || sel.types) s.selectors.push_back(std::move(sel));
  s.filters = valueFiltersFromParams(call);
  restricted = restricted || s.filters.any();
  if (!restricted && call.req.param("local") != "true")
    fail(ErrorType::BadRequestData,
         "a temporal query needs at least one of type, attrs, q or georel (or local=true)");
  if (remote) return answerDistributed(call, s, p, *remote);
  if (answer == answerQuery)
    if (auto r = forwardTemporalQuery(call, registrationQueryFromParams(call), p.history.q, forwardedParams(call),
                                      expandedAttrs(call), [](Call& again, Remote& remote) {
                                        return queryByParams(again, answerQuery, &remote);
                                      }))
      return std::move(*r);
  return answer(call, s, p);
}

// POST /temporal/entityOperations/query (answerQuery, with the sources' answers
// when `remote`) and POST /temporal/entityMaps (answerMap): a Query body (5.2.23)
// with temporalQ (5.2.21); members that shape the output act like the GET parameters.
http::Response queryByBody(Call& call, Answer answer, Remote* remote = nullptr) {
  call.allowParams({"options", "format", "lang", "limit", "offset", "count", "local", "entityMap",
                    "entityMapLifetime"});
  const auto& body = call.body();
  auto given = call.req.query;  // the members below are added to it
  static const std::set<std::string_view> known = {
      "type",   "entities", "attrs",     "pick",      "omit",  "q",        "geoQ",      "csf",
      "scopeQ", "lang",     "temporalQ", "datasetId", "local", "@context", "aggrParams"};
  for (const auto& [member, v] : body)
    if (!known.contains(member))
      fail(ErrorType::BadRequestData, "a Query has no member '" + std::string(member) + "'");
  if (auto* t = body.if_contains("type"); t && (!t->is_string() || t->get_string() != "Query"))
    fail(ErrorType::BadRequestData, "the body's type must be \"Query\"");
  auto asParam = [&call](std::string_view name, const json::value& v) {
    std::string text;
    if (v.is_string()) {
      text = std::string(v.get_string());
    } else if (v.is_int64() || v.is_uint64() || v.is_double()) {
      text = json::serialize(v);
    } else if (v.is_array()) {
      for (const auto& e : v.get_array()) {
        if (!e.is_string()) fail(ErrorType::BadRequestData, std::string(name) + " must be strings");
        text += (text.empty() ? "" : ",") + std::string(e.get_string());
      }
    } else {
      fail(ErrorType::BadRequestData, "invalid " + std::string(name) + " in the Query");
    }
    call.req.query.emplace_back(std::string(name), std::move(text));
  };
  for (std::string_view member : {"attrs", "pick", "omit", "lang", "datasetId"})
    if (auto* v = body.if_contains(member); v && !call.req.param(member)) asParam(member, *v);
  if (auto* t = body.if_contains("temporalQ")) {
    if (!t->is_object()) fail(ErrorType::BadRequestData, "temporalQ must be an object");
    for (const auto& [member, v] : t->get_object()) {
      static const std::set<std::string_view> temporalMembers = {
          "timerel", "timeAt",      "endTimeAt",         "timeproperty",
          "lastN",   "aggrMethods", "aggrPeriodDuration"};
      if (!temporalMembers.contains(member))
        fail(ErrorType::BadRequestData,
             "a TemporalQuery has no member '" + std::string(member) + "'");
      if (member == "lastN" && !v.is_int64() && !v.is_uint64())
        fail(ErrorType::BadRequestData, "temporalQ.lastN must be a positive integer");
      asParam(member, v);
    }
  }
  // AggregationParams (5.2.42): aggrMethods and aggrPeriodDuration.
  if (auto* a = body.if_contains("aggrParams")) {
    if (!a->is_object()) fail(ErrorType::BadRequestData, "aggrParams must be an object");
    for (const auto& [member, v] : a->get_object()) {
      if (member != "aggrMethods" && member != "aggrPeriodDuration")
        fail(ErrorType::BadRequestData, "aggrParams has no member '" + std::string(member) + "'");
      asParam(member, v);
    }
  }
  auto p = temporalParams(call);
  TemporalSelection s;
  if (auto* entities = body.if_contains("entities"))
    s.selectors = query::parseEntitySelectors(*entities, call.context(), false);
  bool restricted = body.contains("attrs");
  for (const auto& sel : s.selectors) restricted = restricted || sel.types.has_value();
  s.filters = valueFiltersFromQueryBody(call, body);
  restricted = restricted || s.filters.any();
  if (!restricted && call.req.param("local") != "true")
    fail(ErrorType::BadRequestData,
         "the Query needs at least one of entities with a type, attrs, q or geoQ");
  if (remote) return answerDistributed(call, s, p, *remote);
  federation::RegistrationQuery registrations;
  std::vector<std::pair<std::string, std::string>> forwarded;
  if (answer == answerQuery && forwardedFromBody(call, body, registrations, forwarded)) {
    for (auto& param : forwardedParams(call)) forwarded.push_back(std::move(param));  // temporalQ, datasetId
    auto attrs = expandedAttrs(call);
    auto added = std::move(call.req.query);
    call.req.query = given;  // the request answered again once the sources did is the client's
    if (auto r = forwardTemporalQuery(call, registrations, p.history.q, std::move(forwarded), attrs,
                                      [](Call& again, Remote& remote) {
                                        return queryByBody(again, answerQuery, &remote);
                                      }))
      return std::move(*r);
    call.req.query = std::move(added);
  }
  return answer(call, s, p);
}

}  // namespace

void registerTemporalQueryRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "GET", "/ngsi-ld/v1/temporal/entities/{}", retrieveTemporal);
  addRoute(router, services, "GET", "/ngsi-ld/v1/temporal/entities",
           [](Call& call) { return queryByParams(call, answerQuery); });
  addRoute(router, services, "POST", "/ngsi-ld/v1/temporal/entityOperations/query",
           [](Call& call) { return queryByBody(call, answerQuery); });
  addRoute(router, services, "GET", "/ngsi-ld/v1/temporal/entityMaps",
           [](Call& call) { return queryByParams(call, answerMap); });
  addRoute(router, services, "POST", "/ngsi-ld/v1/temporal/entityMaps",
           [](Call& call) { return queryByBody(call, answerMap); });
}

}  // namespace allmende::api
