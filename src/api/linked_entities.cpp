// Joins follow the Relationship objects of an entity (and, below it, of the
// linked entities) up to joinLevel, reading each target once; targets that
// do not exist (or expired) are left as plain relationships.
#include "api/linked_entities.h"

#include <set>

#include "ngsi/entity.h"
#include "ngsi/error.h"

namespace allmende::api {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;

Join joinParams(const Call& call) {
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
  return join;
}

namespace {

struct Joiner {
  Call& call;
  const ngsi::RenderOptions& options;
  const Join& join;
  std::set<std::string> flatSeen;
  json::array flat;

  std::optional<json::object> target(std::string_view id) {
    auto e = call.services.store.getEntity(call.tenant(), id);
    if (!e || ngsi::isExpired(*e, options.now)) return std::nullopt;
    return e;
  }

  // Renders entity; for inline, relationships below `level` get their targets.
  json::object render(const json::object& entity, int level) {
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
        if (join.kind == Join::Kind::Flat) {
          if (flatSeen.insert(std::string(object->get_string())).second) {
            flat.push_back(json::value());  // placeholder keeps the order parent-first
            size_t at = flat.size() - 1;
            flat[at] = render(*linked, level + 1);
          }
          continue;
        }
        auto rendered = render(*linked, level + 1);
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
  Joiner joiner{call, options, join, {}, {}};
  if (join.kind == Join::Kind::None) return ngsi::renderEntity(entity, call.context(), options);
  if (join.kind == Join::Kind::Inline) return joiner.render(entity, 0);
  joiner.flatSeen.insert(std::string(entity.at(ngsi::key::id).get_string()));
  joiner.flat.push_back(json::value());
  joiner.flat[0] = joiner.render(entity, 0);
  return std::move(joiner.flat);
}

}  // namespace allmende::api
