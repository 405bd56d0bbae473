// Entity selectors and geoQ objects: parsing and matching.
#include "query/entity_selector.h"

#include <algorithm>

#include <re2/re2.h>

#include "jsonld/context.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::query {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;

namespace {

bool typesMatch(const json::object& entity, const TypeSelection& types) {
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

EntitySelector parseSelector(const json::value& e, const jsonld::Context& ctx, bool requireType) {
  if (!e.is_object()) fail(ErrorType::BadRequestData, "an entity selector must be an object");
  const auto& o = e.get_object();
  EntitySelector s;
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
    s.idPattern = compileIdPattern(p->get_string());
  }
  if (auto* t = o.if_contains("type")) {
    if (!t->is_string()) fail(ErrorType::BadRequestData, "an entity selector's type must be a string");
    s.types = parseTypeSelection(t->get_string(), ctx);
  } else if (requireType) {
    fail(ErrorType::BadRequestData, "an entity selector must name a type");
  }
  return s;
}

}  // namespace

std::shared_ptr<re2::RE2> compileIdPattern(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok())
    fail(ErrorType::BadRequestData,
         "idPattern '" + std::string(pattern) + "' is not a valid regular expression: " + re->error());
  return re;
}

const std::vector<std::string>& checkedIds(const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (!ngsi::isUri(id)) fail(ErrorType::BadRequestData, ngsi::notUriDetail("id", id));
  return ids;
}

std::vector<EntitySelector> parseEntitySelectors(const json::value& entities, const jsonld::Context& ctx,
                                                 bool requireType) {
  if (!entities.is_array() || entities.get_array().empty())
    fail(ErrorType::BadRequestData, "entities must be a non-empty array of entity selectors");
  std::vector<EntitySelector> out;
  for (const auto& e : entities.get_array()) out.push_back(parseSelector(e, ctx, requireType));
  return out;
}

GeoQuery geoQueryFrom(const jsonld::Context& ctx, std::string_view georel, std::optional<std::string_view> geometry,
                      const json::value& coordinates, std::optional<std::string_view> geoproperty) {
  if (!geometry) fail(ErrorType::BadRequestData, "a geo-query needs geometry");
  if (coordinates.is_null()) fail(ErrorType::BadRequestData, "a geo-query needs coordinates");
  std::string property = ctx.expand(geoproperty.value_or("location"));
  return parseGeoQuery(georel, *geometry, coordinates, property);
}

GeoQuery parseGeoQ(const json::value& g, const jsonld::Context& ctx) {
  if (!g.is_object()) fail(ErrorType::BadRequestData, "geoQ must be an object");
  const auto& geo = g.get_object();
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
  return geoQueryFrom(ctx, *georel, member("geometry"), coordinates, member("geoproperty"));
}

bool matches(const EntitySelector& s, const json::object& entity) {
  std::string_view id = entity.at(ngsi::key::id).get_string();
  if (!s.ids.empty() && std::find(s.ids.begin(), s.ids.end(), id) == s.ids.end()) return false;
  // idPattern matches anywhere in the id (a search, as 4233_01 and other brokers do); anchor with ^...$.
  if (s.idPattern && !RE2::PartialMatch(re2::StringPiece(id.data(), id.size()), *s.idPattern)) return false;
  return !s.types || typesMatch(entity, *s.types);
}

bool geoMatchesEntity(const GeoQuery& geo, const json::object& entity, int64_t now) {
  auto* attrs = entity.if_contains(ngsi::key::attrs);
  auto* instances = attrs ? attrs->get_object().if_contains(geo.geoproperty) : nullptr;
  if (!instances || !instances->is_array()) return false;
  for (const auto& inst : instances->get_array()) {
    const auto& obj = inst.get_object();
    if (ngsi::isExpired(obj, now)) continue;
    if (auto* v = obj.if_contains("value"); v && geoMatches(geo, *v)) return true;
  }
  return false;
}

}  // namespace allmende::query
