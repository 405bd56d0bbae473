// Joins follow the Relationship objects of an entity (and, below it, of the
// linked entities) up to joinLevel, reading each target once; targets that
// do not exist (or expired), or that containedBy names, are left as plain
// relationships.
#include "ngsi/linked_render.h"

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"

namespace allmende::ngsi {

namespace {

struct Joiner {
  const jsonld::Context& ctx;
  const Join& join;
  const EntityReader& read;
  std::set<std::string> flatSeen;
  json::array flat;
  size_t inlined = 0;

  std::optional<json::object> target(std::string_view id) {
    if (join.containedBy.contains(std::string(id))) return std::nullopt;  // the caller has it already
    auto e = read(id);
    if (!e || isExpired(*e, nowMs())) return std::nullopt;
    return e;
  }

  // Renders entity with its projection; relationships below `level` get their targets.
  json::object render(const json::object& entity, int level, const RenderOptions& options) {
    auto out = renderEntity(entity, ctx, options);
    if (level >= join.level) return out;
    const auto& attrs = entity.at(key::attrs).get_object();
    for (const auto& [iri, instances] : attrs) {
      std::string name = ctx.compact(iri);
      if (!out.contains(name)) continue;
      for (const auto& inst : instances.get_array()) {
        const auto& obj = inst.get_object();
        if (kindOf(obj) != AttributeKind::Relationship) continue;
        auto* object = obj.if_contains("object");
        if (!object || !object->is_string()) continue;
        auto linked = target(object->get_string());
        if (!linked) continue;
        // The linked entity gets the projection pick/omit give for this relationship, if
        // any; attrs (a notification's attributes) select the entity's own attributes only
        // (conformance 046_26, 046_30).
        RenderOptions sub = options;
        sub.attrs = std::nullopt;
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
        if (++inlined > kMaxJoined)
          fail(ErrorType::TooComplexQuery,
               "the join would inline more than " + std::to_string(kMaxJoined) +
                   " linked entities (relationships that lead back into each other repeat them at every level); "
                   "ask for a lower joinLevel, use join=flat or name entities in containedBy");
        auto rendered = render(*linked, level + 1, sub);
        auto& slot = out[name];
        if (options.format == Format::Simplified)
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

json::value renderJoined(const json::object& entity, const jsonld::Context& ctx, const RenderOptions& options,
                         const Join& join, const EntityReader& read) {
  Joiner joiner{ctx, join, read, {}, {}};
  if (join.kind == Join::Kind::None) return renderEntity(entity, ctx, options);
  if (join.kind == Join::Kind::Inline) return joiner.render(entity, 0, options);
  joiner.flatSeen.insert(std::string(entity.at(key::id).get_string()));
  joiner.flat.push_back(json::value());
  joiner.flat[0] = joiner.render(entity, 0, options);
  if (joiner.flat.size() == 1) return std::move(joiner.flat[0]);  // nothing linked: the entity alone
  return std::move(joiner.flat);
}

}  // namespace allmende::ngsi
