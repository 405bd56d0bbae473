// Builds selectors and one predicate; the predicate repeats the exact checks
// (types, attributes, id pattern, q, scopeQ, geo relation, expiry) so that the
// store's indexes only have to narrow candidates, never to decide.
#include "api/entity_selection.h"

#include <memory>
#include <unordered_map>

#include <re2/re2.h>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"
#include "query/geo.h"
#include "query/q.h"
#include "query/type_expr.h"

namespace allmende::api {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;

namespace {

// One entity selector of a query: ids / idPattern / types (any of them may be absent).
struct Selector {
  std::vector<std::string> ids;
  std::shared_ptr<re2::RE2> idPattern;
  std::optional<query::TypeSelection> types;
};

// Reads a linked entity for a q term on it (rel{attr}); each entity once per request.
struct LinkedReader {
  store::Store* store = nullptr;
  std::string tenant;
  std::shared_ptr<std::unordered_map<std::string, std::optional<json::object>>> cache =
      std::make_shared<std::unordered_map<std::string, std::optional<json::object>>>();

  const json::object* operator()(std::string_view id) const {
    auto [it, fresh] = cache->try_emplace(std::string(id));
    if (fresh) it->second = store->getEntity(tenant, id);
    return it->second ? &*it->second : nullptr;
  }
};

struct Filters {
  std::optional<LinkedReader> linked;  // set when q follows relationships
  bool anyType = false;             // type=*
  bool userAttrs = false;           // attrs names an attribute (not only id, type, createdAt, ...)
  std::vector<Selector> selectors;  // OR; empty = any entity
  std::vector<std::string> attrs;   // any of
  query::ExprPtr q, scopeQ;
  std::optional<query::GeoQuery> geo;
};

std::shared_ptr<re2::RE2> compilePattern(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) fail(ErrorType::BadRequestData, "idPattern '" + std::string(pattern) + "' is not a valid regular expression: " + re->error());
  return re;
}

bool typesMatch(const json::object& entity, const query::TypeSelection& types) {
  const auto& have = entity.at(ngsi::key::type).get_array();
  auto has = [&have](const std::string& t) {
    for (const auto& h : have)
      if (h.is_string() && h.get_string() == t) return true;
    return false;
  };
  for (const auto& group : types) {
    bool all = true;
    for (const auto& t : group) all = all && has(t);
    if (all) return true;
  }
  return false;
}

bool selectorMatches(const Selector& s, const json::object& entity) {
  std::string_view id = entity.at(ngsi::key::id).get_string();
  if (!s.ids.empty() && std::find(s.ids.begin(), s.ids.end(), id) == s.ids.end()) return false;
  // idPattern matches anywhere in the id (a search, as 4233_01 and other brokers do); anchor with ^...$.
  if (s.idPattern && !RE2::PartialMatch(re2::StringPiece(id.data(), id.size()), *s.idPattern)) return false;
  return !s.types || typesMatch(entity, *s.types);
}

bool geoMatches(const query::GeoQuery& geo, const json::object& entity, int64_t now) {
  auto* attrs = entity.if_contains(ngsi::key::attrs);
  auto* instances = attrs ? attrs->get_object().if_contains(geo.geoproperty) : nullptr;
  if (!instances || !instances->is_array()) return false;
  for (const auto& inst : instances->get_array()) {
    const auto& obj = inst.get_object();
    if (ngsi::isExpired(obj, now)) continue;
    if (auto* v = obj.if_contains("value"); v && query::geoMatches(geo, *v)) return true;
  }
  return false;
}

// q, checked against the join: terms on linked entities (rel{attr}) need join and
// may reach no deeper than joinLevel (5.7.2.4); purge never allows them.
query::ExprPtr parsedQ(std::string_view text, Call& call, const std::vector<std::string>& expandValues,
                       Filters& f) {
  auto q = query::parseQ(text, call.context(), expandValues);
  if (q->linkDepth == 0) return q;
  auto join = call.req.param("join");
  if (call.req.method == "DELETE" || !join || (*join != "inline" && *join != "flat"))
    fail(ErrorType::BadRequestData, "q terms on linked entities (attr{...}) need join=inline or join=flat");
  int level = 1;
  if (auto l = call.req.param("joinLevel")) level = std::atoi(std::string(*l).c_str());
  if (q->linkDepth > level)
    fail(ErrorType::BadRequestData, "q reaches deeper into linked entities than joinLevel");
  f.linked = LinkedReader{&call.services.store, call.tenant()};
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

// Numeric conditions of q that the store's value index can check before reading
// entities: terms "attr op number" (or ==a..b) on a plain attribute, directly in
// q or in its top-level AND. They only narrow candidates; q still decides.
void addNumberRanges(const query::Expr& e, std::vector<store::EntityQuery::NumberRange>& out) {
  if (e.kind == query::Expr::Kind::And) {
    for (const auto& c : e.children) addNumberRanges(*c, out);
    return;
  }
  if (e.kind != query::Expr::Kind::Term) return;
  const auto& t = e.term;
  const auto& p = t.path;
  if (p.attributes.size() != 1 || p.member != query::AttrPath::Member::Value || !p.valuePath.empty() || p.linked)
    return;
  store::EntityQuery::NumberRange r;
  r.attribute = p.attributes[0];
  auto number = [](const query::Literal& l) { return l.kind == query::Literal::Kind::Number; };
  if (t.op == query::Op::Eq && t.range && number(t.range->first) && number(t.range->second)) {
    r.min = t.range->first.number;
    r.max = t.range->second.number;
  } else if (t.values.size() != 1 || !number(t.values[0])) {
    return;
  } else if (t.op == query::Op::Eq) {
    r.min = r.max = t.values[0].number;
  } else if (t.op == query::Op::Gt || t.op == query::Op::Ge) {
    r.min = t.values[0].number;
    r.minOpen = t.op == query::Op::Gt;
  } else if (t.op == query::Op::Lt || t.op == query::Op::Le) {
    r.max = t.values[0].number;
    r.maxOpen = t.op == query::Op::Lt;
  } else {
    return;
  }
  out.push_back(std::move(r));
}

Selection finish(Filters f) {
  Selection out;
  auto& q = out.query;
  out.restricted = f.anyType || f.userAttrs || (f.q && namesAttribute(*f.q)) || f.geo;
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
  if (f.geo) {
    if (auto box = query::candidateBox(*f.geo)) {
      q.geoProperty = f.geo->geoproperty;
      q.geoBox = *box;
      q.geoBoxFilter = query::boxFilter(*f.geo);
    }
  }
  if (f.q) addNumberRanges(*f.q, q.numberRanges);
  auto now = ngsi::nowMs();
  q.predicate = [f = std::move(f), now](const json::object& entity) {
    if (ngsi::isExpired(entity, now)) return false;
    if (!f.selectors.empty()) {
      bool any = false;
      for (const auto& s : f.selectors) any = any || selectorMatches(s, entity);
      if (!any) return false;
    }
    if (!f.attrs.empty()) {
      const auto& attrs = entity.at(ngsi::key::attrs).get_object();
      bool any = false;
      for (const auto& a : f.attrs) any = any || attrs.contains(a);
      if (!any) return false;
    }
    if (f.q && !(f.linked ? query::matches(*f.q, entity, now, *f.linked) : query::matches(*f.q, entity, now)))
      return false;
    if (f.scopeQ && !query::matchesScope(*f.scopeQ, entity)) return false;
    if (f.geo && !geoMatches(*f.geo, entity, now)) return false;
    return true;
  };
  return out;
}

std::vector<std::string> checkedIds(const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (!ngsi::isUri(id)) fail(ErrorType::BadRequestData, "id '" + id + "' is not a URI");
  return ids;
}

std::vector<std::string> expandedAttrs(Call& call, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (!ngsi::isValidName(n)) fail(ErrorType::BadRequestData, "invalid attribute name '" + n + "'");
    out.push_back(call.context().expand(n));
  }
  return out;
}

query::GeoQuery geoFrom(Call& call, std::string_view georel, std::optional<std::string_view> geometry,
                        const json::value& coordinates, std::optional<std::string_view> geoproperty) {
  if (!geometry) fail(ErrorType::BadRequestData, "a geo-query needs geometry");
  if (coordinates.is_null()) fail(ErrorType::BadRequestData, "a geo-query needs coordinates");
  std::string property = call.context().expand(geoproperty.value_or("location"));
  return query::parseGeoQuery(georel, *geometry, coordinates, property);
}

}  // namespace

Selection selectionFromParams(Call& call) {
  Filters f;
  Selector s;
  s.ids = checkedIds(call.listParam("id"));
  if (auto p = call.req.param("idPattern")) s.idPattern = compilePattern(*p);
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
    f.geo = geoFrom(call, *georel, call.req.param("geometry"), coordinates, call.req.param("geoproperty"));
  } else if (call.req.param("geometry") || call.req.param("coordinates")) {
    fail(ErrorType::BadRequestData, "geometry and coordinates need georel");
  }
  return finish(std::move(f));
}

Selection selectionFromQueryBody(Call& call, const json::object& body) {
  Filters f;
  if (auto* t = body.if_contains("type"); t && (!t->is_string() || t->get_string() != "Query"))
    fail(ErrorType::BadRequestData, "the body's type must be \"Query\"");
  auto stringMember = [&body](std::string_view name) -> std::optional<std::string_view> {
    auto* v = body.if_contains(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(ErrorType::BadRequestData, std::string(name) + " must be a string");
    return std::string_view(v->get_string());
  };
  if (auto* entities = body.if_contains("entities")) {
    if (!entities->is_array() || entities->get_array().empty())
      fail(ErrorType::BadRequestData, "entities must be a non-empty array of entity selectors");
    for (const auto& e : entities->get_array()) {
      if (!e.is_object()) fail(ErrorType::BadRequestData, "an entity selector must be an object");
      const auto& o = e.get_object();
      Selector s;
      for (const auto& [k, v] : o)
        if (k != "id" && k != "idPattern" && k != "type")
          fail(ErrorType::BadRequestData, "an entity selector has no member '" + std::string(k) + "'");
      if (auto* id = o.if_contains("id")) {
        // A String or String[]; when ids are given they take precedence over idPattern.
        if (id->is_string()) {
          s.ids = checkedIds({std::string(id->get_string())});
        } else if (id->is_array() && !id->get_array().empty()) {
          std::vector<std::string> ids;
          for (const auto& i : id->get_array()) {
            if (!i.is_string()) fail(ErrorType::BadRequestData, "an entity selector's id must be URIs");
            ids.emplace_back(i.get_string());
          }
          s.ids = checkedIds(ids);
        } else {
          fail(ErrorType::BadRequestData, "an entity selector's id must be a URI or an array of URIs");
        }
      }
      if (auto* p = o.if_contains("idPattern"); p && s.ids.empty()) {
        if (!p->is_string()) fail(ErrorType::BadRequestData, "an entity selector's idPattern must be a string");
        s.idPattern = compilePattern(p->get_string());
      }
      if (auto* t = o.if_contains("type")) {
        if (!t->is_string()) fail(ErrorType::BadRequestData, "an entity selector's type must be a string");
        s.types = query::parseTypeSelection(t->get_string(), call.context());
      }
      f.selectors.push_back(std::move(s));
    }
  }
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
  if (auto csf = stringMember("csf")) query::parseQ(*csf, call.context());
  if (auto q = stringMember("q")) f.q = parsedQ(*q, call, {}, f);
  if (auto sq = stringMember("scopeQ")) f.scopeQ = query::parseScopeQ(*sq);
  if (auto* g = body.if_contains("geoQ")) {
    if (!g->is_object()) fail(ErrorType::BadRequestData, "geoQ must be an object");
    const auto& geo = g->get_object();
    auto member = [&geo](std::string_view name) -> std::optional<std::string_view> {
      auto* v = geo.if_contains(name);
      if (v && v->is_string()) return std::string_view(v->get_string());
      return std::nullopt;
    };
    auto georel = member("georel");
    if (!georel) fail(ErrorType::BadRequestData, "geoQ needs georel");
    json::value coordinates = geo.contains("coordinates") ? geo.at("coordinates") : json::value();
    if (coordinates.is_string()) {
      json::error_code ec;
      coordinates = json::parse(coordinates.get_string(), ec);
      if (ec) fail(ErrorType::BadRequestData, "geoQ coordinates is not a JSON array");
    }
    f.geo = geoFrom(call, *georel, member("geometry"), coordinates, member("geoproperty"));
  }
  return finish(std::move(f));
}

}  // namespace allmende::api
