// Builds selectors and one predicate; the predicate repeats the exact checks
// (types, attributes, id pattern, q, scopeQ, geo relation, expiry) so that the
// store's indexes only have to narrow candidates, never to decide.
#include "api/entity_selection.h"

#include <memory>
#include <unordered_map>

#include "auth/access.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"
#include "query/entity_selector.h"
#include "query/geo.h"
#include "query/q.h"
#include "query/type_expr.h"
#include "store/value_ranges.h"

namespace allmende::api {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;

namespace {

using Selector = query::EntitySelector;

// Reads a linked entity for a q term on it (rel{attr}), as the caller may see
// it; each entity once per request.
struct LinkedReader {
  store::Store* store = nullptr;
  std::string tenant;
  std::shared_ptr<const auth::Access> access;
  std::shared_ptr<std::unordered_map<std::string, std::optional<json::object>>> cache =
      std::make_shared<std::unordered_map<std::string, std::optional<json::object>>>();

  const json::object* operator()(std::string_view id) const {
    auto [it, fresh] = cache->try_emplace(std::string(id));
    if (fresh) {
      it->second = store->getEntity(tenant, id);
      if (it->second && !access->readsEverything()) {
        if (access->mayRead(*it->second))
          access->stripHidden(*it->second);
        else
          it->second.reset();
      }
    }
    return it->second ? &*it->second : nullptr;
  }
};

struct Filters {
  std::shared_ptr<const auth::Access> access;  // what the caller may read
  bool anyType = false;             // type=*
  bool userAttrs = false;           // attrs names an attribute (not only id, type, createdAt, ...)
  std::vector<Selector> selectors;  // OR; empty = any entity
  std::vector<std::string> attrs;   // any of
  query::ValueFilters values;
};

// q, checked against the join: terms on linked entities (rel{attr}) need join and
// may reach no deeper than joinLevel (5.7.2.4); purge never allows them.
query::ExprPtr parsedQ(std::string_view text, Call& call,
                       const std::vector<std::string>& expandValues, query::ValueFilters& f) {
  auto q = query::parseQ(text, call.context(), expandValues);
  if (q->linkDepth == 0) return q;
  auto join = call.req.param("join");
  if (call.req.method == "DELETE" || !join || (*join != "inline" && *join != "flat"))
    fail(ErrorType::BadRequestData, "q terms on linked entities (attr{...}) need join=inline or join=flat");
  int level = 1;
  if (auto l = call.req.param("joinLevel")) level = std::atoi(std::string(*l).c_str());
  if (q->linkDepth > level)
    fail(ErrorType::BadRequestData, "q reaches deeper into linked entities than joinLevel");
  f.linked = LinkedReader{&call.services.store, call.tenant(), call.access()};
  return q;
}

// True if the expression compares at least one attribute (not only the entity's
// own createdAt/modifiedAt), which makes a query narrow enough (5.7.2.4).
bool namesAttribute(const query::Expr& e) {
  if (e.kind != query::Expr::Kind::Term) {
    for (const auto& c : e.children)
      if (namesAttribute(*c)) return true;
    return false;
  }
  const auto& path = e.term.path;
  return !(path.attributes.size() == 1 && path.member != query::AttrPath::Member::Value);
}

bool isSystemName(std::string_view n) {
  return n == "id" || n == "type" || n == "createdAt" || n == "modifiedAt" || n == "scope" ||
         n == "expiresAt" || n == "deletedAt";
}

// True if the (unexpired) entity passes the filters.
bool matches(const Filters& f, const json::object& entity, int64_t now) {
  if (ngsi::isExpired(entity, now)) return false;
  if (!f.selectors.empty()) {
    bool any = false;
    for (const auto& s : f.selectors) any = any || query::matches(s, entity);
    if (!any) return false;
  }
  if (!f.attrs.empty()) {
    const auto& attrs = entity.at(ngsi::key::attrs).get_object();
    bool any = false;
    for (const auto& a : f.attrs) any = any || attrs.contains(a);
    if (!any) return false;
  }
  const auto& v = f.values;
  if (v.q && !query::matches(*v.q, entity, now, v.linked)) return false;
  if (v.scopeQ && !query::matchesScope(*v.scopeQ, entity)) return false;
  if (v.geo && !query::geoMatchesEntity(*v.geo, entity, now)) return false;
  return true;
}

Selection finish(Filters f) {
  Selection out;
  auto& q = out.query;
  const auto& v = f.values;
  out.restricted = f.anyType || f.userAttrs || (v.q && namesAttribute(*v.q)) || v.geo;
  for (const auto& s : f.selectors) out.restricted = out.restricted || s.types.has_value();
  // Index selectors: only when every selector restricts the same way can the union be used.
  bool allIds = !f.selectors.empty(), allTypes = !f.selectors.empty();
  for (const auto& s : f.selectors) {
    allIds = allIds && !s.ids.empty();
    allTypes = allTypes && s.types.has_value();
  }
  if (allIds) {
    q.ids.emplace();
    for (const auto& s : f.selectors) q.ids->insert(q.ids->end(), s.ids.begin(), s.ids.end());
  }
  if (allTypes) {
    q.types.emplace();
    for (const auto& s : f.selectors) q.types->insert(q.types->end(), s.types->begin(), s.types->end());
  }
  if (!f.attrs.empty()) q.anyAttrs = f.attrs;
  if (v.geo) {
    if (auto box = query::candidateBox(*v.geo)) {
      q.geoProperty = v.geo->geoproperty;
      q.geoBox = *box;
      q.geoBoxFilter = query::boxFilter(*v.geo);
    }
  }
  bool rangesOnly = !v.q || store::addValueRanges(*v.q, q);
  // The predicate below checks no more than the store's selectors and ranges when
  // q is ranges only, nothing else filters, and no selector has an idPattern.
  q.selectorsExact = rangesOnly && !v.scopeQ && !v.geo && f.selectors.size() <= 1 &&
                     (f.selectors.empty() || !f.selectors[0].idPattern);
  auto now = ngsi::nowMs();
  if (!f.access->readsEverything()) q.selectorsExact = false;  // each entity's grants are checked
  q.predicate = [f = std::move(f), now](const json::object& entity) {
    const auto& access = *f.access;
    if (access.readsEverything()) return matches(f, entity, now);
    if (!access.mayRead(entity)) return false;
    if (!access.hidesSome(entity)) return matches(f, entity, now);
    json::object seen(entity);  // the filters see what the caller sees, never a hidden attribute
    access.stripHidden(seen);
    return matches(f, seen, now);
  };
  return out;
}

std::vector<std::string> expandedAttrs(Call& call, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (!ngsi::isValidName(n)) fail(ErrorType::BadRequestData, "invalid attribute name '" + n + "'");
    out.push_back(call.context().expand(n));
  }
  return out;
}

}  // namespace

Selection selectionFromParams(Call& call) {
  Filters f;
  f.access = call.access();
  Selector s;
  s.ids = query::checkedIds(call.listParam("id"));
  if (auto p = call.req.param("idPattern")) s.idPattern = query::compileIdPattern(*p);
  if (auto t = call.req.param("type")) {
    if (*t == "*") {
      if (call.req.param("local") == "false")
        fail(ErrorType::BadRequestData, "type=* implies local=true; local=false cannot go with it");
      f.anyType = true;
    } else {
      s.types = query::parseTypeSelection(*t, call.context());
    }
  }
  if (!s.ids.empty() || s.idPattern || s.types) f.selectors.push_back(std::move(s));
  if (call.req.param("attrs")) {
    auto names = call.listParam("attrs");
    for (const auto& n : names) {
      if (n.find('{') != std::string::npos)
        fail(ErrorType::BadRequestData, "attrs cannot select members of linked entities ('" + n + "')");
      f.userAttrs = f.userAttrs || !isSystemName(n);
    }
    f.attrs = expandedAttrs(call, names);
  }
  f.values = valueFiltersFromParams(call);
  return finish(std::move(f));
}

query::ValueFilters valueFiltersFromParams(Call& call) {
  query::ValueFilters f;
  if (auto q = call.req.param("q")) f.q = parsedQ(*q, call, call.listParam("expandValues"), f);
  if (auto sq = call.req.param("scopeQ")) f.scopeQ = query::parseScopeQ(*sq);
  if (auto csf = call.req.param("csf")) query::parseQ(*csf, call.context());  // syntax only: no registrations yet
  auto georel = call.req.param("georel");
  if (georel) {
    json::value coordinates;
    if (auto c = call.req.param("coordinates")) {
      json::error_code ec;
      coordinates = json::parse(*c, ec);
      if (ec) fail(ErrorType::BadRequestData, "coordinates is not a JSON array: " + std::string(*c));
    }
    f.geo = query::geoQueryFrom(call.context(), *georel, call.req.param("geometry"), coordinates, call.req.param("geoproperty"));
  } else if (call.req.param("geometry") || call.req.param("coordinates")) {
    fail(ErrorType::BadRequestData, "geometry and coordinates need georel");
  }
  return f;
}

Selection selectionFromQueryBody(Call& call, const json::object& body) {
  Filters f;
  f.access = call.access();
  if (auto* t = body.if_contains("type"); t && (!t->is_string() || t->get_string() != "Query"))
    fail(ErrorType::BadRequestData, "the body's type must be \"Query\"");
  if (auto* entities = body.if_contains("entities"))
    f.selectors = query::parseEntitySelectors(*entities, call.context(), false);
  if (auto* attrs = body.if_contains("attrs")) {
    if (!attrs->is_array() || attrs->get_array().empty())
      fail(ErrorType::BadRequestData, "attrs must be a non-empty array of names");
    std::vector<std::string> names;
    for (const auto& a : attrs->get_array()) {
      if (!a.is_string()) fail(ErrorType::BadRequestData, "attrs must be an array of names");
      names.emplace_back(a.get_string());
    }
    for (const auto& n : names) f.userAttrs = f.userAttrs || !isSystemName(n);
    f.attrs = expandedAttrs(call, names);
  }
  if (body.contains("temporalQ"))
    fail(ErrorType::BadRequestData, "temporalQ belongs to the temporal API, not to a Query of current entities");
  f.values = valueFiltersFromQueryBody(call, body);
  return finish(std::move(f));
}

query::ValueFilters valueFiltersFromQueryBody(Call& call, const json::object& body) {
  query::ValueFilters f;
  auto stringMember = [&body](std::string_view name) -> std::optional<std::string_view> {
    auto* v = body.if_contains(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(ErrorType::BadRequestData, std::string(name) + " must be a string");
    return std::string_view(v->get_string());
  };
  if (auto csf = stringMember("csf")) query::parseQ(*csf, call.context());
  if (auto q = stringMember("q")) f.q = parsedQ(*q, call, {}, f);
  if (auto sq = stringMember("scopeQ")) f.scopeQ = query::parseScopeQ(*sq);
  if (auto* g = body.if_contains("geoQ")) f.geo = query::parseGeoQ(*g, call.context());
  return f;
}

}  // namespace allmende::api
