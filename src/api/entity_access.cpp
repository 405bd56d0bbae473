// Helpers shared by api/entities.cpp and api/attributes.cpp.
#include "api/entity_access.h"

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

std::vector<std::string> projectionNames(std::string_view expr, std::string_view param) {
  auto invalid = [&](const std::string& why) -> std::vector<std::string> {
    fail(ErrorType::BadRequestData, "invalid " + std::string(param) + " '" + std::string(expr) + "': " + why);
  };
  std::vector<std::string> names;
  std::string current;
  for (size_t i = 0; i <= expr.size(); ++i) {
    char c = i < expr.size() ? expr[i] : ',';
    if (c == ',' || c == '|') {
      if (current.empty()) return invalid("an empty name");
      if (!ngsi::isValidName(current)) return invalid("'" + current + "' is not a valid name");
      names.push_back(std::move(current));
      current.clear();
    } else if (c == '{' || c == '}') {
      return invalid("selecting members of linked entities ({...}) needs join, which is not supported yet");
    } else {
      current.push_back(c);
    }
  }
  return names;
}

std::string entityIdParam(const Call& call, size_t i) {
  const auto& id = call.pathParam(i);
  if (!ngsi::isUri(id)) fail(ErrorType::BadRequestData, "the entity id '" + id + "' is not a URI");
  return id;
}

json::object readEntity(Call& call, const std::string& id) {
  call.requireTenant();
  auto entity = call.services.store.getEntity(call.tenant(), id);
  if (!entity || ngsi::isExpired(*entity, ngsi::nowMs()))
    fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "'");
  return std::move(*entity);
}

void mutateEntity(Call& call, const std::string& id, const std::vector<std::string>& types,
                  const std::function<void(json::object&)>& op) {
  call.requireTenant();
  call.services.writes.apply(call.tenant(), id, [&](const std::optional<store::Entity>& current)
                                                    -> std::optional<store::EntityWrite> {
    if (!current || ngsi::isExpired(*current, ngsi::nowMs()))
      fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "'");
    if (!hasAnyType(*current, types))
      fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "' of the requested type");
    store::EntityWrite write;
    write.entity = *current;
    op(write.entity);
    return write;
  });
}

void insertEntity(Call& call, const json::object& parsed, int64_t now) {
  std::string id(parsed.at(ngsi::key::id).get_string());
  call.services.writes.apply(call.tenant(), id, [&](const std::optional<store::Entity>& current)
                                                    -> std::optional<store::EntityWrite> {
    if (current && !ngsi::isExpired(*current, now))
      fail(ErrorType::AlreadyExists, "an entity with id '" + id + "' already exists");
    return store::EntityWrite{store::EntityWrite::Kind::Put, ngsi::createEntity(parsed, now)};
  });
}

void removeEntity(Call& call, const std::string& id, const std::vector<std::string>& types) {
  call.requireTenant();
  auto now = ngsi::nowMs();
  call.services.writes.apply(call.tenant(), id, [&](const std::optional<store::Entity>& current)
                                                    -> std::optional<store::EntityWrite> {
    if (!current || ngsi::isExpired(*current, now))
      fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "'");
    if (!hasAnyType(*current, types))
      fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "' of the requested type");
    return store::EntityWrite{store::EntityWrite::Kind::Delete, {}};
  });
}

std::vector<std::string> typeParam(Call& call) {
  std::vector<std::string> types;
  for (const auto& t : call.listParam("type")) {
    if (!ngsi::isValidName(t)) fail(ErrorType::BadRequestData, "invalid entity type '" + t + "'");
    types.push_back(call.context().expand(t));
  }
  return types;
}

bool hasAnyType(const json::object& entity, const std::vector<std::string>& types) {
  if (types.empty()) return true;
  const auto& have = entity.at(ngsi::key::type).get_array();
  for (const auto& t : types)
    for (const auto& h : have)
      if (h.is_string() && h.get_string() == t) return true;
  return false;
}

ngsi::RenderOptions renderOptions(Call& call) {
  ngsi::RenderOptions o;
  o.now = ngsi::nowMs();
  auto setFormat = [&o](std::string_view f) {
    if (f == "keyValues" || f == "simplified")
      o.format = ngsi::Format::Simplified;
    else if (f == "concise")
      o.format = ngsi::Format::Concise;
    else if (f == "normalized")
      o.format = ngsi::Format::Normalized;
    else
      return false;
    return true;
  };
  int formats = 0;
  for (const auto& opt : call.listParam("options")) {
    if (opt == "sysAttrs") {
      o.sysAttrs = true;
    } else if (setFormat(opt)) {
      ++formats;
    } else {
      fail(ErrorType::InvalidRequest, "unknown options value '" + opt + "'");
    }
  }
  if (formats > 1) fail(ErrorType::InvalidRequest, "options names more than one representation");
  if (auto f = call.req.param("format")) {
    if (!setFormat(*f)) fail(ErrorType::InvalidRequest, "unknown format '" + std::string(*f) + "'");
  }
  if (auto lang = call.req.param("lang")) {
    if (lang->empty()) fail(ErrorType::BadRequestData, "lang must not be empty");
    o.lang = std::string(*lang);
  }
  if (call.req.param("attrs")) {
    o.attrs.emplace();
    for (const auto& a : call.listParam("attrs")) {
      if (!ngsi::isValidName(a)) fail(ErrorType::BadRequestData, "invalid attribute name '" + a + "'");
      o.attrs->insert(call.context().expand(a));
    }
  }
  if (call.req.param("pick") && call.req.param("omit"))
    fail(ErrorType::BadRequestData, "pick and omit cannot be used together");
  if (call.req.param("attrs") && (call.req.param("pick") || call.req.param("omit")))
    fail(ErrorType::BadRequestData, "attrs cannot be combined with pick or omit");
  auto compactNames = [&call](std::string_view param) {
    std::set<std::string> names;
    for (const auto& n : projectionNames(*call.req.param(param), param))
      names.insert(n == "id" || n == "type" || n == "scope" ? n
                                                            : call.context().compact(call.context().expand(n)));
    return names;
  };
  if (call.req.param("pick")) o.pick = compactNames("pick");
  if (call.req.param("omit")) o.omit = compactNames("omit");
  if (call.req.param("datasetId")) {
    auto ids = call.listParam("datasetId");
    o.datasetIds = std::set<std::string>(ids.begin(), ids.end());
  }
  return o;
}

http::Response outcomeResponse(Call& call, const ngsi::AttributeOutcome& outcome) {
  if (outcome.notUpdated.empty()) return call.empty(204);
  json::object body;
  json::array updated, notUpdated;
  for (const auto& name : outcome.updated) updated.emplace_back(call.context().compact(name));
  for (const auto& [name, reason] : outcome.notUpdated)
    notUpdated.push_back(json::object{{"attributeName", call.context().compact(name)}, {"reason", reason}});
  body["updated"] = std::move(updated);
  body["notUpdated"] = std::move(notUpdated);
  return call.plain(207, std::move(body));
}

}  // namespace allmende::api
