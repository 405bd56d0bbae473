// Context source registrations (clause 5.9, 5.10, 6.8-6.9): register, update
// (PATCH fragment), delete, retrieve, and discovery (query with paging). What
// a registration may contain and how it is shown lives in
// federation/registration.h, the conflict rules in federation/registry.h,
// discovery matching in federation/registration_query.h.
#include <re2/re2.h>

#include "api/entity_selection.h"
#include "api/paging.h"
#include "api/routes.h"
#include "api/version_preference.h"
#include "federation/registration_query.h"
#include "federation/registry.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"
#include "query/entity_selector.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kPath = "/ngsi-ld/v1/csourceRegistrations";

// The discovery query from the parameters (clause 6.8.3.2); at least one of
// id, idPattern, type, attrs, q, csf, a geo-query, scopeQ or a temporal query.
federation::RegistrationQuery queryFromParams(Call& call) {
  federation::RegistrationQuery q;
  const auto& ctx = call.context();
  q.ids = query::checkedIds(call.listParam("id"));
  if (auto p = call.req.param("idPattern")) {
    q.idPatternRegex = query::compileIdPattern(*p);
    q.idPattern = std::string(*p);
  }
  if (auto t = call.req.param("type")) q.types = query::parseTypeSelection(*t, ctx);
  for (const auto& a : call.listParam("attrs")) {
    if (!ngsi::isValidName(a))
      fail(ErrorType::BadRequestData, "invalid attribute name '" + a + "'");
    q.attrs.push_back(ctx.expand(a));
  }
  auto filters = valueFiltersFromParams(call);
  q.q = filters.q;
  q.scopeQ = filters.scopeQ;
  q.geo = filters.geo;
  if (auto csf = call.req.param("csf")) q.csf = query::parseQ(*csf, ctx);
  auto timerel = call.req.param("timerel");
  if (timerel || call.req.param("timeAt"))
    q.temporal =
        query::parseTemporalQ(timerel, call.req.param("timeAt"), call.req.param("endTimeAt"),
                              call.req.param("timeproperty"), std::nullopt);
  if (q.ids.empty() && !q.idPattern && !q.types && q.attrs.empty() && !q.q && !q.csf && !q.scopeQ &&
      !q.geo && !q.temporal)
    fail(ErrorType::BadRequestData,
         "a registration query needs at least one of id, idPattern, type, attrs, q, csf, scopeQ, a "
         "geo-query "
         "(georel, geometry, coordinates) or a temporal query (timerel, timeAt)");
  return q;
}

http::Response createRegistration(Call& call) {
  call.allowParams({});
  const auto& body = call.body();
  auto r = federation::createRegistration(body, call.context(), ngsi::nowMs());
  std::string id = r.id;
  call.services.registrations.create(call.tenant(), std::move(r));
  auto res = call.empty(201);
  res.setHeader("Location", std::string(kPath) + "/" + id);
  return res;
}

http::Response queryRegistrations(Call& call) {
  call.allowParams({"id", "idPattern", "type", "attrs", "q", "csf", "georel", "geometry",
                    "coordinates", "geoproperty", "scopeQ", "timerel", "timeAt", "endTimeAt",
                    "timeproperty", "limit", "offset", "count", "options"});
  auto media = negotiate(call.req, false);
  auto paging = pagingParams(call);
  bool sysAttrs = call.sysAttrsOption();
  auto query = queryFromParams(call);
  call.requireTenant();
  auto now = ngsi::nowMs();
  std::vector<federation::Registration> selected;
  for (auto& r : call.services.registrations.list(call.tenant()))
    if (federation::matches(query, r, now)) selected.push_back(std::move(r));
  json::array out;
  for (size_t i = paging.offset; i < selected.size() && out.size() < paging.limit; ++i)
    out.push_back(federation::renderRegistration(selected[i], call.context(), sysAttrs));
  bool more = paging.offset + paging.limit < selected.size();
  auto res = respondForVersion(call, 200, std::move(out), media, Payload::Other);
  addPageHeaders(call, res, paging, more, selected.size(), media);
  return res;
}

http::Response retrieveRegistration(Call& call) {
  call.allowParams({"options"});
  auto media = negotiate(call.req, false);
  auto id = call.uriPathParam(0, "the registration id");
  bool sysAttrs = call.sysAttrsOption();
  call.requireTenant();
  auto r = call.services.registrations.get(call.tenant(), id);
  return respondForVersion(call, 200, federation::renderRegistration(r, call.context(), sysAttrs),
                           media, Payload::Other);
}

http::Response updateRegistration(Call& call) {
  call.allowParams({});
  auto id = call.uriPathParam(0, "the registration id");
  const auto& fragment = call.body(true);
  const auto& ctx = call.context();
  call.requireTenant();
  call.services.registrations.update(call.tenant(), id, [&](federation::Registration& r) {
    federation::patchRegistration(r, fragment, ctx, ngsi::nowMs());
  });
  return call.empty(204);
}

http::Response deleteRegistration(Call& call) {
  call.allowParams({});
  auto id = call.uriPathParam(0, "the registration id");
  call.requireTenant();
  call.services.registrations.remove(call.tenant(), id);
  return call.empty(204);
}

}  // namespace

void registerRegistrationRoutes(http::Router& router, Services& services) {
  std::string one = std::string(kPath) + "/{}";
  addRoute(router, services, "POST", kPath, createRegistration);
  addRoute(router, services, "GET", kPath, queryRegistrations);
  addRoute(router, services, "GET", one, retrieveRegistration);
  addRoute(router, services, "PATCH", one, updateRegistration);
  addRoute(router, services, "DELETE", one, deleteRegistration);
}

}  // namespace allmende::api
