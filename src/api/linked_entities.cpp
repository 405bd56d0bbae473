// The join, joinLevel and containedBy parameters, checked; the joining itself
// is ngsi/linked_render.h, reading linked entities from the request's tenant.
#include "api/linked_entities.h"

#include <set>

#include "api/entity_access.h"
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
      if (!ngsi::isUri(id))
        fail(ErrorType::BadRequestData, ngsi::notUriDetail("containedBy: the id", id));
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

json::value renderJoined(Call& call, const json::object& entity, const ngsi::RenderOptions& options,
                         const Join& join) {
  ngsi::EntityReader read = [&call](std::string_view id) {
    auto e = call.services.store.getEntity(call.tenant(), id);
    if (e && !admitted(call, *e)) e.reset();  // one the caller may not read is not joined
    return e;
  };
  return ngsi::renderJoined(entity, call.context(), options, join, read);
}

}  // namespace allmende::api
