// Joins follow the Relationship objects of an entity (and, below it, of the
// linked entities) up to joinLevel, reading each target once; targets that
// do not exist (or expired), or that containedBy names, are left as plain
// relationships.
#include "api/linked_entities.h"

#include <set>

#include "api/entity_access.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::api {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;

Join joinParams(const Call& call, const ngsi::RenderOptions& options) {
  Join join;
  if (auto j = call.req.param("join")) {
    if (*j == "inline")
      join.kind = Join::Kind::Inline;
    else if (*j == "flat")
      join.kind = Join::Kind::Flat;
    else if (*j != "@none")
      fail(ErrorType::BadRequestData, "join must be inline, flat or @none");
  }
  if (auto l = call.req.param("joinLevel")) {
    if (join.kind == Join::Kind::None) fail(ErrorType::BadRequestData, "joinLevel needs join");
    if (l->empty() || l->size() > 2 || l->find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(*l)) < 1)
      fail(ErrorType::BadRequestData, "joinLevel must be a positive integer");
    join.level = std::stoi(std::string(*l));
  }
  if (auto c = call.req.param("containedBy")) {
    if (join.kind == Join::Kind::None) fail(ErrorType::BadRequestData, "containedBy needs join");
    std::string_view rest = *c;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string id(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (!ngsi::isUri(id)) fail(ErrorType::BadRequestData, "containedBy: '" + id + "' is not a URI");
      join.containedBy.insert(std::move(id));
    }
  }
  // Projections into linked entities need the join, and no deeper than it goes (4.21, 5.7.2.4).
  for (const auto* p : {options.pick ? &*options.pick : nullptr, options.omit ? &*options.omit : nullptr}) {
    if (!p) continue;
    int depth = projectionDepth(*p);
    if (depth > 0 && join.kind == Join::Kind::None)
      fail(ErrorType::BadRequestData, "pick/omit on linked entities ({...}) needs join");
    if (depth > join.level)
      fail(ErrorType::BadRequestData, "pick/omit reaches deeper into linked entities than joinLevel");
  }
  return join;
}

namespace {

struct Joiner {
  Call& call;
  const Join& join;
  std::set<std::string> flatSeen;
  json::array flat;

  std::optional<json::object> target(std::string_view id) {
    if (join.containedBy.contains(std::string(id))) return std::nullopt;  // the caller has it already
    auto e = call.services.store.getEntity(call.tenant(), id);
    if (!e || ngsi::isExpired(*e, ngsi::nowMs())) return std::nullopt;
    return e;
  }

  // Renders entity with its projection; relationships below `level` get their targets.
  json::object render(const json::object& entity, int level, const ngsi::RenderOptions& options) {
    auto out = ngsi::renderEntity(entity, call.context(), options);
    if (level >= join.level) return out;
    const auto& attrs = entity.at(ngsi::key::attrs).get_object();
    for (const auto& [iri, instances] : attrs) {
      std::string name = call.context().compact(iri);
      if (!out.contains(name)) continue;
      for (const auto& inst : instances.get_array()) {
        const auto& obj = inst.get_object();
        if (ngsi::kindOf(obj) != ngsi::AttributeKind::Relationship) continue;
        auto* object = obj.if_contains("object");
        if (!object || !object->is_string()) continue;
        auto linked = target(object->get_string());
        if (!linked) continue;
        // The linked entity gets the projection given for this relationship, if any.
        ngsi::RenderOptions sub = options;
        sub.pick = options.pick && options.pick->linked.contains(name)
                       ? std::optional(options.pick->linked.at(name)) : std::nullopt;
        sub.omit = options.omit && options.omit->linked.contains(name)
                       ? std::optional(options.omit->linked.at(name)) : std::nullopt;
        if (join.kind == Join::Kind::Flat) {
          if (flatSeen.insert(std::string(object->get_string())).second) {
            flat.push_back(json::value());  // placeholder keeps the order parent-first
            size_t at = flat.size() - 1;
            flat[at] = render(*linked, level + 1, sub);
          }
          continue;
        }
        auto rendered = render(*linked, level + 1, sub);
        auto& slot = out[name];
        if (options.format == ngsi::Format::Simplified)
          slot = std::move(rendered);
        else if (slot.is_object())
          slot.get_object()["entity"] = std::move(rendered);
        break;  // one instance of a multi-instance relationship is joined
      }
    }
    return out;
  }
};

}  // namespace

json::value renderJoined(Call& call, const json::object& entity, const ngsi::RenderOptions& options,
                         const Join& join) {
  Joiner joiner{call, join, {}, {}};
  if (join.kind == Join::Kind::None) return ngsi::renderEntity(entity, call.context(), options);
  if (join.kind == Join::Kind::Inline) return joiner.render(entity, 0, options);
  joiner.flatSeen.insert(std::string(entity.at(ngsi::key::id).get_string()));
  joiner.flat.push_back(json::value());
  joiner.flat[0] = joiner.render(entity, 0, options);
  if (joiner.flat.size() == 1) return std::move(joiner.flat[0]);  // nothing linked: the entity alone
  return std::move(joiner.flat);
}

}  // namespace allmende::api
