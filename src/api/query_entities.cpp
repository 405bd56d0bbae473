// Query entities (clause 5.7.2 and 5.7.4 / 6.4.3.2, 6.23): GET /entities with
// query parameters and POST /entityOperations/query with a Query body; paging
// with limit/offset, NGSILD-Results-Count with count=true, prev/next Link
// headers, every representation including a GeoJSON FeatureCollection; the
// Allmende-Explain header says how the store found the matches.
#include "api/distributed.h"
#include "api/entity_access.h"
#include "api/entity_maps.h"
#include "api/entity_selection.h"
#include "api/linked_entities.h"
#include "api/paging.h"
#include "api/version_preference.h"
#include "api/routes.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "federation/registration_query.h"
#include "federation/registry.h"
#include "query/entity_selector.h"
#include "query/geo.h"
#include "query/order_by.h"
#include "query/q.h"
#include "query/type_expr.h"

#include <algorithm>
#include <map>
#include <set>
#include "ngsi/syntax.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

// What of a query's parameters goes to the registered sources: the selection
// of entities (attrs are narrowed per source, csf chose the sources).
const std::set<std::string_view> kForwardedParams = {"type", "id", "idPattern", "q", "scopeQ", "georel", "geometry",
                                                     "coordinates", "geoproperty", "lang", "datasetId"};
// What of them chooses entities by id and type (all a source gets with splitEntities=true).
const std::set<std::string_view> kSelectors = {"type", "id", "idPattern", "lang", "datasetId"};

// The Allmende-Explain answer header: what the store did for the query.
std::string explainText(const store::QueryExplain& e) {
  return "path=" + (e.path.empty() ? std::string("none") : e.path) +
         "; path-size=" + std::to_string(e.pathSize) + "; candidates=" + std::to_string(e.candidates) +
         "; counted=" + std::to_string(e.counted) + "; read=" + std::to_string(e.read) + "; matched=" + std::to_string(e.matched);
}

// The filters of a query with splitEntities=true, taken out of the store's query
// (which keeps only its ids and types) to be checked on the merged entities.
struct SplitFilter {
  std::function<bool(const json::object&)> exact;  // q, scopeQ, the geo relation, idPattern
  std::optional<std::vector<std::string>> anyAttrs;
  bool keeps(const json::object& e) const {
    if (exact && !exact(e)) return false;
    if (!anyAttrs) return true;
    auto* attrs = e.if_contains(ngsi::key::attrs);
    return attrs && std::any_of(anyAttrs->begin(), anyAttrs->end(),
                                [attrs](const std::string& a) { return attrs->get_object().contains(a); });
  }
};

SplitFilter splitFilter(store::EntityQuery& q, size_t maxLimit) {
  SplitFilter out{std::move(q.predicate), std::move(q.anyAttrs)};
  q.predicate = {};
  q.anyAttrs.reset();
  q.geoProperty.reset();
  q.geoBox.reset();
  q.geoBoxFilter = {};
  q.numberRanges.clear();
  q.textRanges.clear();
  q.timeRanges.clear();
  q.selectorsExact = false;
  q.offset = 0;
  q.limit = maxLimit;
  return out;
}

// The ids of a live EntityMap's entities on the page and the one after it.
std::vector<std::string> mapWindow(const EntityMap& map, const Paging& paging) {
  auto from = std::min(paging.offset, map.entityIds.size());
  auto to = std::min(from + paging.limit + 1, map.entityIds.size());
  return {map.entityIds.begin() + from, map.entityIds.begin() + to};
}

// Of those, the ones a source holds ("@none": this broker).
std::vector<std::string> heldBy(const EntityMap& map, const Paging& paging, std::string_view source) {
  std::vector<std::string> out;
  auto from = std::min(paging.offset, map.entityIds.size());
  auto to = std::min(from + paging.limit + 1, map.entityIds.size());
  for (auto i = from; i < to; ++i) {
    auto held = map.sourcesOf(i);
    if (std::find(held.begin(), held.end(), source) != held.end()) out.push_back(map.entityIds[i]);
  }
  return out;
}

// Adds what the registered sources answered to the local matches and cuts
// the page; true if a next page follows. Without a live EntityMap the page of
// local matches starts at 0 and has offset + limit + 1 entities, and all are
// ordered by id; with one, it has the local ones of the map's window, and the
// window's entities found again make the page in the map's order. Entities
// with the same id are merged; only the sources' entities on the page are read
// into the internal form. With an EntityMap, `matched` (the local matches, as
// recorded) becomes what the map holds afterwards and `held` where each is.
bool mergeRemote(Remote& remote, store::EntityPage& page, const Paging& paging, const jsonld::Context& ctx,
                 const EntityMapUse& map, std::vector<std::string>& matched,
                 std::vector<std::vector<std::string>>& held) {
  // id -> (source, entity), in the order to merge them
  std::map<std::string, std::vector<std::pair<size_t, json::object*>>> remoteById;
  for (auto s : federation::mergeOrder(remote.sources))
    for (auto& e : remote.answers[s].entities)
      remoteById[std::string(e.at(ngsi::key::id).get_string())].emplace_back(s, &e);
  std::map<std::string, size_t> localById;
  for (size_t i = 0; i < page.entities.size(); ++i)
    localById[std::string(page.entities[i].at(ngsi::key::id).get_string())] = i;
  auto found = [&](const std::string& id) { return localById.contains(id) || remoteById.contains(id); };
  std::vector<std::string> window;  // the page's ids and the next one's
  bool more = false;
  if (map.active && map.live) {
    // The window's entities found again make the page. What was not found is
    // pruned where that moves no entity across a page boundary: before the
    // page's last entity when the page is full, all of it at the map's end.
    auto candidates = mapWindow(*map.live, paging);
    bool toEnd = paging.offset + candidates.size() >= map.live->entityIds.size();
    std::set<std::string> gone, goneAfter;
    for (auto& id : candidates) {
      if (!found(id)) {
        goneAfter.insert(std::move(id));
      } else if (window.size() < paging.limit) {
        gone.merge(goneAfter);
        window.push_back(std::move(id));
      }
    }
    if (toEnd) gone.merge(goneAfter);
    matched.clear();
    for (const auto& id : map.live->entityIds)
      if (!gone.contains(id)) matched.push_back(id);
    page.total = matched.size();
    more = paging.offset + window.size() < page.total;
  } else {
    std::set<std::string> ids;
    for (const auto& [id, _] : localById) ids.insert(id);
    for (const auto& [id, _] : remoteById) ids.insert(id);
    page.total += ids.size() - localById.size();
    size_t skip = paging.offset;
    for (const auto& id : ids) {
      if (skip > 0) {
        --skip;
        continue;
      }
      if (window.size() > paging.limit) break;
      window.push_back(id);
    }
    if (map.active) {  // a new map: every match, here and at the sources
      std::map<std::string, std::vector<std::string>> where;
      for (const auto& id : matched) where[id].push_back("@none");
      for (const auto& [id, from] : remoteById)
        for (const auto& [s, _] : from) where[id].push_back(remote.sources[s].registration.id);
      matched.clear();
      for (auto& [id, sources] : where) {
        matched.push_back(id);
        held.push_back(std::move(sources));
      }
    }
  }
  if (window.size() > paging.limit) {
    more = true;
    window.resize(paging.limit);
  }
  std::vector<json::object> out;
  for (const auto& id : window) {
    auto local = localById.find(id);
    auto r = remoteById.find(id);
    // One only a source holds lives in that source's answer's storage (moved, not copied).
    json::object entity = local != localById.end() ? std::move(page.entities[local->second])
                                                   : json::object(r->second.front().second->storage());
    if (local != localById.end())
      for (const auto& source : remote.sources) federation::dropExclusive(entity, source);
    else
      entity[ngsi::key::id] = id;
    if (r != remoteById.end())
      for (const auto& [s, raw] : r->second)
        if (auto e = federation::internalEntity(std::move(*raw), ctx))
          federation::merge(entity, std::move(*e), remote.sources[s]);
    out.push_back(std::move(entity));
  }
  page.entities = std::move(out);
  return more;
}

// The page as a value: GeoJSON features (no join), or entities with their
// linked entities (join) for a version that needs amending.
json::value renderedPage(Call& call, const std::vector<json::object>& page, const ngsi::RenderOptions& options,
                         const std::optional<Join>& join, boost::json::monotonic_resource& arena) {
  const auto& ctx = call.context();
  if (!join) {
    std::string geometry = ctx.expand(call.req.param("geometryProperty").value_or("location"));
    json::array features(&arena);
    for (const auto& e : page) features.push_back(ngsi::renderFeature(e, ctx, options, geometry));
    json::object collection(&arena);
    collection["type"] = "FeatureCollection";
    collection["features"] = std::move(features);
    return collection;
  }
  json::array entities(&arena);
  std::set<std::string> seen;  // flat joins list each linked entity once
  for (const auto& e : page) {
    call.deadline.check();  // a join reads linked entities for each
    auto rendered = renderJoined(call, e, options, *join);
    if (join->kind != Join::Kind::Flat) {
      if (!options.pick || rendered.get_object().size() > 0)
        entities.push_back(std::move(rendered));  // an entity the projection leaves empty is not listed
      continue;
    }
    // Flat: the page's entities and their linked entities, each listed once.
    json::array parts = rendered.is_array() ? std::move(rendered.get_array()) : json::array{std::move(rendered)};
    for (size_t i = 0; i < parts.size(); ++i) {
      auto* id = parts[i].get_object().if_contains("id");
      std::string key = id ? std::string(id->get_string()) : i == 0 ? std::string(e.at("id").get_string()) : "";
      if (key.empty() || seen.insert(key).second) entities.push_back(std::move(parts[i]));
    }
  }
  return entities;
}

http::Response answer(Call& call, Selection selection, Remote* remote = nullptr) {
  // The rendering lives in one arena freed with the request.
  alignas(std::max_align_t) unsigned char firstBlock[64 * 1024];  // a typical page needs no heap at all
  boost::json::monotonic_resource arena(firstBlock, sizeof firstBlock);
  auto media = negotiate(call.req, true);
  auto options = renderOptions(call);
  options.storage = &arena;
  auto paging = pagingParams(call);
  if (media != MediaType::GeoJson && call.req.param("geometryProperty"))
    fail(ErrorType::BadRequestData, "geometryProperty is only allowed with Accept: application/geo+json");
  call.requireTenant();
  auto& q = selection.query;
  if (!q.ordering && call.req.param("orderBy")) {
    json::value from;
    if (auto f = call.req.param("orderFrom")) from = json::string(*f);
    q.ordering = std::make_shared<query::Ordering>(*call.req.param("orderBy"), call.context(), from,
                                                   call.req.param("collation"));
  } else if (call.req.param("collation") && !q.ordering) {
    fail(ErrorType::BadRequestData, "collation needs orderBy");
  }
  q.now = ngsi::nowMs();
  q.offset = remote ? 0 : paging.offset;  // with sources, the page is cut after merging
  q.limit = paging.limit ? paging.limit + 1 + (remote ? paging.offset : 0) : 0;  // one more: is there a next page?
  q.count = paging.count;
  q.deadline = &call.deadline;
  // With an EntityMap every candidate is visited, and those that match are recorded.
  auto mapUse = entityMapUse(call);
  std::vector<std::string> matched;
  std::vector<std::vector<std::string>> held;  // where each entity of a new distributed map is
  if (mapUse.active) {
    if (mapUse.live && remote) {  // the map's entities of this page (and the next one's) held here
      q.ids = heldBy(*mapUse.live, paging, "@none");
      q.limit = q.ids->size();
    } else if (mapUse.live) {
      q.ids = mapUse.live->entityIds;  // the map fixes the candidates
    }
    store::recordMatches(q, matched);
  }
  // splitEntities=true with sources: the parts of an entity are merged first, and the
  // query's filters (q, scopeQ, geo-query, attrs) checked on the whole; here only the
  // entities of its ids and types are candidates (up to the largest page).
  std::optional<SplitFilter> split;
  if (remote && call.req.param("splitEntities") == "true") split = splitFilter(q, call.services.limits.maxLimit);
  // Asked with the request header Allmende-Explain (any value), answered in the same header.
  store::QueryExplain explain;
  if (call.req.header("allmende-explain")) q.explain = &explain;
  auto page = call.services.store.queryEntities(call.tenant(), q);
  bool more = page.entities.size() > paging.limit;
  if (split) {
    EntityMapUse none;
    mergeRemote(*remote, page, Paging{call.services.limits.maxLimit, 0, false}, call.context(), none, matched, held);
    std::erase_if(page.entities, [&split](const json::object& e) { return !split->keeps(e); });
    page.total = page.entities.size();
    auto from = std::min(paging.offset, page.entities.size());
    page.entities.erase(page.entities.begin(), page.entities.begin() + static_cast<std::ptrdiff_t>(from));
    more = page.entities.size() > paging.limit;
    if (more) page.entities.resize(paging.limit);
  } else if (remote) {
    more = mergeRemote(*remote, page, paging, call.context(), mapUse, matched, held);
  } else if (more) {
    page.entities.pop_back();
  }
  // What the caller may not see goes: hidden attributes, and entities of the
  // sources it may not read (local ones the query's predicate left out already).
  if (!call.access()->readsEverything())
    std::erase_if(page.entities, [&call](json::object& e) { return !admitted(call, e); });

  const auto& ctx = call.context();
  std::optional<Join> join;
  if (media != MediaType::GeoJson) join = joinParams(call, options);
  http::Response res;
  if (join && join->kind == Join::Kind::None && !versionPreference(call.req)) {  // the text as it is rendered
    Call::ArrayAnswer text(call, media, page.entities.size());
    for (const auto& e : page.entities)
      text.addText([&](std::string& out) {  // an entity the projection leaves empty is not listed
        return ngsi::writeEntity(out, e, ctx, options).count > 0 || !options.pick;
      });
    res = text.finish(200);
  } else {
    res = respondForVersion(call, 200, renderedPage(call, page.entities, options, join, arena), media,
                            entityPayload(options));
  }
  if (finishEntityMap(call, mapUse, std::move(matched), res, std::move(held)))
    res.status = 201;  // a map was made (6.4.3.2)
  addPageHeaders(call, res, paging, more, page.total, media);
  if (q.explain) res.setHeader("Allmende-Explain", explainText(explain));
  return res;
}

// Leaves out the sources whose registrations name an area (location) where the
// query's geo-query (among the forwarded parameters) cannot find anything.
void keepNearby(std::vector<federation::Source>& sources, const std::vector<std::pair<std::string, std::string>>& params) {
  std::optional<std::string> georel, geometry, coordinates;
  for (const auto& [name, value] : params) {
    if (name == "georel") georel = value;
    if (name == "geometry") geometry = value;
    if (name == "coordinates") coordinates = value;
  }
  if (!georel || !geometry || !coordinates) return;
  json::error_code ec;
  auto c = json::parse(*coordinates, ec);
  auto g = query::parseGeoQuery(*georel, *geometry, ec ? json::value(*coordinates) : c, "");
  std::erase_if(sources, [&g](const federation::Source& s) { return !federation::mayHoldPlace(g, s.registration); });
}

// A query that registered sources answer too (or nullopt when none does):
// each gets `forwarded` (the client's selection) narrowed to what it holds;
// `merged` answers once they did. An `ordered` query cannot be distributed.
// A new EntityMap asks each source for all it has (up to the largest page);
// a live one asks each source only for its entities of the page.
std::optional<http::Response> forwardQuery(Call& call, const federation::RegistrationQuery& registrations,
                                           std::vector<std::pair<std::string, std::string>> forwarded, bool ordered,
                                           std::function<http::Response(Call&, Remote&)> merged) {
  if (!mayForward(call)) return std::nullopt;
  call.requireTenant();
  auto sources = sourcesFor(call, call.services.registrations.list(call.tenant()), registrations,
                            {"queryEntity", "queryBatch"});
  keepNearby(sources, forwarded);
  if (sources.empty()) return std::nullopt;
  if (ordered)
    fail(ErrorType::BadRequestData,
         "orderBy needs local=true here: registered context sources answer this query too, and their "
         "entities cannot be ordered with the local ones");
  if (call.req.param("splitEntities") == "true")  // the sources get the entities, the filters stay here
    std::erase_if(forwarded, [](const auto& p) { return !kSelectors.contains(p.first); });
  auto paging = pagingParams(call);
  std::vector<std::string> attrs;
  for (const auto& a : call.listParam("attrs")) attrs.push_back(call.context().expand(a));
  auto client = clientRequest(call);
  size_t limit = std::min(paging.offset + std::max<size_t>(paging.limit, 1) + 1, call.services.limits.maxLimit);
  auto map = entityMapUse(call);
  if ((map.active && !map.live) || call.req.param("splitEntities") == "true") limit = call.services.limits.maxLimit;
  std::vector<federation::ForwardRequest> requests;
  if (map.live) {  // only the sources that hold entities of the page
    std::erase_if(forwarded, [](const auto& p) { return p.first == "id"; });
    std::vector<federation::Source> asked;
    for (auto& s : sources) {
      auto ids = heldBy(*map.live, paging, s.registration.id);
      if (ids.empty()) continue;
      auto one = forwarded;
      std::string joined;
      for (const auto& id : ids) joined += (joined.empty() ? "" : ",") + id;
      one.emplace_back("id", std::move(joined));
      requests.push_back(federation::queryRequest(s, client, one, attrs, ids.size()));
      asked.push_back(std::move(s));
    }
    sources = std::move(asked);
  } else {
    for (const auto& s : sources) requests.push_back(federation::queryRequest(s, client, forwarded, attrs, limit));
  }
  return forwardThen(call, std::move(sources), std::move(requests), true, std::move(merged));
}

http::Response queryEntities(Call& call) {
  call.allowParams({"id", "idPattern", "type", "attrs", "pick", "omit", "q", "scopeQ", "georel",
                    "geometry", "coordinates", "geoproperty", "options", "format", "lang", "limit",
                    "offset", "count", "geometryProperty", "datasetId", "local", "csf", "expandValues",
                    "orderBy", "orderFrom", "collation", "join", "joinLevel", "containedBy", "entityMap",
                    "entityMapLifetime", "splitEntities"});
  auto selection = selectionFromParams(call);
  if (!selection.restricted && call.req.param("local") != "true")
    fail(ErrorType::BadRequestData, "a query needs at least one of type, attrs, q or georel (or local=true)");
  std::vector<std::pair<std::string, std::string>> forwarded;
  for (const auto& [name, value] : call.req.query)
    if (kForwardedParams.contains(name)) forwarded.emplace_back(name, value);
  if (auto r = forwardQuery(call, registrationQueryFromParams(call), std::move(forwarded), call.req.param("orderBy").has_value(),
                            [](Call& again, Remote& remote) {
        return answer(again, selectionFromParams(again), &remote);
      }))
    return std::move(*r);
  return answer(call, std::move(selection));
}

http::Response queryPostAnswer(Call& call, Remote* remote) {
  const auto& body = call.body();
  // Query body members that shape the output act like the parameters of GET.
  static const std::set<std::string_view> known = {
      "type", "entities", "attrs", "pick", "omit", "q", "geoQ", "csf", "scopeQ", "lang", "join",
      "joinLevel", "datasetId", "ordering", "local",
      "expandValues", "containedBy", "@context"};
  for (const auto& [member, v] : body)
    if (!known.contains(member))
      fail(ErrorType::BadRequestData, "a Query has no member '" + std::string(member) + "'");
  for (std::string_view member :
       {"attrs", "pick", "omit", "lang", "join", "joinLevel", "datasetId", "containedBy"}) {
    auto* v = body.if_contains(member);
    if (!v || call.req.param(member)) continue;
    std::string text;
    if (v->is_string()) {
      text = std::string(v->get_string());
    } else if (v->is_int64() || v->is_uint64()) {
      text = json::serialize(*v);
    } else if (v->is_array()) {
      for (const auto& e : v->get_array()) {
        if (!e.is_string()) fail(ErrorType::BadRequestData, std::string(member) + " must be strings");
        text += (text.empty() ? "" : ",") + std::string(e.get_string());
      }
    } else {
      fail(ErrorType::BadRequestData, "invalid " + std::string(member) + " in the Query");
    }
    call.req.query.emplace_back(std::string(member), std::move(text));
  }
  auto selection = selectionFromQueryBody(call, body);
  if (!selection.restricted && call.req.param("local") != "true")
    fail(ErrorType::BadRequestData, "the Query needs at least one of entities with a type, attrs, q or geoQ");
  if (auto* ordering = body.if_contains("ordering")) {
    // OrderingParams (5.2.43): orderBy String[], coordinates (for distance), geometry, collation.
    if (!ordering->is_object()) fail(ErrorType::BadRequestData, "ordering must be an object");
    const auto& o = ordering->get_object();
    auto* orderBy = o.if_contains("orderBy");
    if (!orderBy || !orderBy->is_array() || orderBy->get_array().empty())
      fail(ErrorType::BadRequestData, "ordering.orderBy must be a non-empty array of strings");
    std::string joined;
    for (const auto& item : orderBy->get_array()) {
      if (!item.is_string()) fail(ErrorType::BadRequestData, "ordering.orderBy must be an array of strings");
      joined += (joined.empty() ? "" : ",") + std::string(item.get_string());
    }
    auto* geometry = o.if_contains("geometry");
    if (geometry && (!geometry->is_string() || geometry->get_string() != "Point"))
      fail(ErrorType::BadRequestData, "ordering.geometry must be \"Point\"");
    auto* coordinates = o.if_contains("coordinates");
    if (coordinates && !coordinates->is_array())
      fail(ErrorType::BadRequestData, "ordering.coordinates must be a JSON array");
    std::optional<std::string_view> collation;
    if (auto* c = o.if_contains("collation")) {
      if (!c->is_string()) fail(ErrorType::BadRequestData, "ordering.collation must be a string");
      collation = c->get_string();
    }
    selection.query.ordering = std::make_shared<query::Ordering>(
        joined, call.context(), coordinates ? *coordinates : json::value(), collation);
  }
  return answer(call, std::move(selection), remote);
}

http::Response queryPost(Call& call) {
  call.allowParams({"attrs", "pick", "omit", "options", "format", "lang", "limit", "offset", "count",
                    "geometryProperty", "datasetId", "local", "csf", "entityMap", "entityMapLifetime",
                    "splitEntities"});
  const auto& body = call.body();
  federation::RegistrationQuery registrations;
  std::vector<std::pair<std::string, std::string>> forwarded;
  if (forwardedFromBody(call, body, registrations, forwarded))
    if (auto r = forwardQuery(call, registrations, std::move(forwarded), body.contains("ordering"),
                              [](Call& again, Remote& remote) { return queryPostAnswer(again, &remote); }))
      return std::move(*r);
  return queryPostAnswer(call, nullptr);
}

}  // namespace

void registerQueryRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "GET", "/ngsi-ld/v1/entities", queryEntities);
  addRoute(router, services, "POST", "/ngsi-ld/v1/entityOperations/query", queryPost);
}

}  // namespace allmende::api
