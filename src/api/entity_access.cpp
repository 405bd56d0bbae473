// Helpers shared by api/entities.cpp and api/attributes.cpp.
#include "api/entity_access.h"

#include <algorithm>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

class ProjectionParser {
 public:
  ProjectionParser(Call& call, std::string_view expr, std::string_view param)
      : call_(call), expr_(expr), param_(param) {}

  ngsi::Projection parse() {
    auto p = list(0);
    if (pos_ != expr_.size()) invalid("an unexpected '" + std::string(1, expr_[pos_]) + "'");
    return p;
  }

 private:
  [[noreturn]] void invalid(const std::string& why) {
    fail(ErrorType::BadRequestData, "invalid " + std::string(param_) + " '" + std::string(expr_) + "': " + why);
  }

  ngsi::Projection list(int depth) {
    if (depth > 16) invalid("nested too deeply");
    ngsi::Projection p;
    while (true) {
      size_t start = pos_;
      while (pos_ < expr_.size() && expr_[pos_] != ',' && expr_[pos_] != '|' && expr_[pos_] != '{' &&
             expr_[pos_] != '}')
        ++pos_;
      std::string name(expr_.substr(start, pos_ - start));
      if (name.empty()) invalid("an empty name");
      if (!ngsi::isValidName(name)) invalid("'" + name + "' is not a valid name");
      if (name != "id" && name != "type" && name != "scope") name = call_.context().compact(call_.context().expand(name));
      p.names.insert(name);
      if (pos_ < expr_.size() && expr_[pos_] == '{') {
        ++pos_;
        p.linked[name] = list(depth + 1);
        if (pos_ >= expr_.size() || expr_[pos_] != '}') invalid("an unclosed '{'");
        ++pos_;
      }
      if (pos_ >= expr_.size() || expr_[pos_] == '}') return p;
      ++pos_;  // ',' or '|'
    }
  }

  Call& call_;
  std::string_view expr_;
  std::string_view param_;
  size_t pos_ = 0;
};

}  // namespace

ngsi::Projection parseProjection(Call& call, std::string_view expr, std::string_view param) {
  return ProjectionParser(call, expr, param).parse();
}

int projectionDepth(const ngsi::Projection& p) {
  int depth = 0;
  for (const auto& [name, sub] : p.linked) depth = std::max(depth, 1 + projectionDepth(sub));
  return depth;
}

std::string entityIdParam(const Call& call, size_t i) {
  const auto& id = call.pathParam(i);
  if (!ngsi::isUri(id)) fail(ErrorType::BadRequestData, ngsi::notUriDetail("the entity id", id));
  return id;
}

bool admitted(Call& call, json::object& entity) {
  const auto& access = *call.access();
  if (access.readsEverything()) return true;
  if (!access.mayRead(entity)) return false;
  access.stripHidden(entity);
  return true;
}

json::object entityStub(std::string_view id, const std::vector<std::string>& types) {
  json::array t;
  for (const auto& type : types) t.emplace_back(type);
  return json::object{{ngsi::key::id, id}, {ngsi::key::type, std::move(t)}};
}

std::optional<json::object> historySubject(Call& call, const std::string& id) {
  if (auto current = call.services.store.getEntity(call.tenant(), id)) return std::move(*current);
  auto h = call.services.store.historyEntity(call.tenant(), id);
  if (!h) return std::nullopt;
  return entityStub(id, h->types);
}

json::object readEntity(Call& call, const std::string& id, json::storage_ptr storage) {
  call.requireTenant();
  auto entity = call.services.store.getEntity(call.tenant(), id, std::move(storage));
  if (!entity || ngsi::isExpired(*entity, ngsi::nowMs()) || !admitted(call, *entity))
    fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "'");
  return std::move(*entity);
}

store::Store::Mutator changeMutator(std::string id, std::vector<std::string> types,
                                    std::function<void(json::object&)> op) {
  return [id = std::move(id), types = std::move(types), op = std::move(op)](
             const std::optional<store::Entity>& current) -> std::optional<store::EntityWrite> {
    if (!current || ngsi::isExpired(*current, ngsi::nowMs()))
      fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "'");
    if (!hasAnyType(*current, types))
      fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "' of the requested type");
    store::EntityWrite write;
    write.entity = *current;
    op(write.entity);
    return write;
  };
}

store::Store::Mutator createMutator(json::object parsed, int64_t now) {
  // Runs once: the parsed entity moves into the write instead of being copied.
  return [parsed = std::move(parsed), now](const std::optional<store::Entity>& current) mutable
             -> std::optional<store::EntityWrite> {
    if (current && !ngsi::isExpired(*current, now))
      fail(ErrorType::AlreadyExists,
           "an entity with id '" + std::string(parsed.at(ngsi::key::id).get_string()) + "' already exists");
    return store::EntityWrite{
        store::EntityWrite::Kind::Put, ngsi::createEntity(std::move(parsed), now), {}};
  };
}

store::Store::Mutator deleteMutator(std::string id, std::vector<std::string> types) {
  return [id = std::move(id), types = std::move(types)](const std::optional<store::Entity>& current)
             -> std::optional<store::EntityWrite> {
    if (!current || ngsi::isExpired(*current, ngsi::nowMs()))
      fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "'");
    if (!hasAnyType(*current, types))
      fail(ErrorType::ResourceNotFound, "no entity with id '" + id + "' of the requested type");
    return store::EntityWrite{store::EntityWrite::Kind::Delete, {}, {}};
  };
}

void mutateEntity(Call& call, const std::string& id, const std::vector<std::string>& types,
                  const std::function<void(json::object&)>& op) {
  call.requireTenant();
  call.services.writes.apply(call.tenant(), call.author(), id, changeMutator(id, types, op));
}

void insertEntity(Call& call, json::object parsed, int64_t now) {
  std::string id(parsed.at(ngsi::key::id).get_string());
  call.services.writes.apply(call.tenant(), call.author(), id, createMutator(std::move(parsed), now));
}

void removeEntity(Call& call, const std::string& id, const std::vector<std::string>& types) {
  call.requireTenant();
  call.services.writes.apply(call.tenant(), call.author(), id, deleteMutator(id, types));
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

ngsi::RenderOptions renderOptions(Call& call, std::initializer_list<std::string_view> ownValues) {
  ngsi::RenderOptions o;
  o.now = ngsi::nowMs();
  auto own = [&ownValues](std::string_view v) {
    return std::find(ownValues.begin(), ownValues.end(), v) != ownValues.end();
  };
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
    if (own(opt)) continue;
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
    if (!own(*f) && !setFormat(*f))
      fail(ErrorType::InvalidRequest, "unknown format '" + std::string(*f) + "'");
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
  if (auto p = call.req.param("pick")) o.pick = parseProjection(call, *p, "pick");
  if (auto p = call.req.param("omit")) o.omit = parseProjection(call, *p, "omit");
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
