// The admin API of access grants (/ngsi-ld/ex/grants, docs/security.md): make,
// list, read and withdraw the grants of the request's tenant (NGSILD-Tenant).
// The broker's admin (--auth-admin) manages every tenant's grants, a tenant's
// admins (role admin) their tenant's; only with authentication on. Type and
// attribute names are expanded with the request's @context, and compacted
// with it in answers.
#include "api/routes.h"
#include "api/version_preference.h"
#include "auth/policy.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kPath = "/ngsi-ld/ex/grants";

void requireAdmin(Call& call) {
  if (!call.services.authenticator)
    fail(ErrorType::OperationNotSupported, "access grants need authentication on (--auth-issuer)");
  if (!call.access()->isAdmin())
    fail(ErrorType::Forbidden,
         "only the broker's admin and the tenant's admins manage the tenant's grants");
}

json::object render(Call& call, const auth::Grant& g) {
  const auto& ctx = call.context();
  return auth::grantJson(g, [&ctx](std::string_view iri) { return ctx.compact(iri); });
}

http::Response createGrant(Call& call) {
  call.allowParams({});
  requireAdmin(call);
  const auto& body = call.body();
  for (auto member : {"id", "createdBy", "createdAt", "tenant"})
    if (body.contains(member))
      fail(ErrorType::BadRequestData, "a grant's " + std::string(member) +
                                          " is set by the broker (the tenant by NGSILD-Tenant)");
  const auto& ctx = call.context();
  auto grant = auth::parseGrant(body, [&ctx](std::string_view name) { return ctx.expand(name); });
  grant.tenant = call.clientTenant();
  grant.createdBy = call.req.caller->subject;
  grant.createdAtMs = ngsi::nowMs();
  grant = call.services.policy.add(std::move(grant));
  call.audit(grant.tenant, grant.id, "createGrant");
  auto res =
      respondForVersion(call, 201, render(call, grant), negotiate(call.req, false), Payload::Other);
  res.setHeader("Location", std::string(kPath) + "/" + http::percentEncode(grant.id));
  return res;
}

http::Response listGrants(Call& call) {
  call.allowParams({});
  requireAdmin(call);
  json::array out;
  for (const auto& g : call.services.policy.list(call.clientTenant()))
    out.push_back(render(call, g));
  return respondForVersion(call, 200, std::move(out), negotiate(call.req, false), Payload::Other);
}

http::Response retrieveGrant(Call& call) {
  call.allowParams({});
  requireAdmin(call);
  auto grant = call.services.policy.get(call.clientTenant(), call.pathParam(0));
  if (!grant)
    fail(ErrorType::ResourceNotFound,
         "no grant with id '" + call.pathParam(0) + "' in this tenant");
  return respondForVersion(call, 200, render(call, *grant), negotiate(call.req, false),
                           Payload::Other);
}

http::Response withdrawGrant(Call& call) {
  call.allowParams({});
  requireAdmin(call);
  if (!call.services.policy.remove(call.clientTenant(), call.pathParam(0)))
    fail(ErrorType::ResourceNotFound,
         "no grant with id '" + call.pathParam(0) + "' in this tenant");
  call.audit(call.clientTenant(), call.pathParam(0), "withdrawGrant");
  return call.empty(204);
}

}  // namespace

void registerGrantRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "POST", kPath, createGrant);
  addRoute(router, services, "GET", kPath, listGrants);
  addRoute(router, services, "GET", "/ngsi-ld/ex/grants/{}", retrieveGrant);
  addRoute(router, services, "DELETE", "/ngsi-ld/ex/grants/{}", withdrawGrant);
}

}  // namespace allmende::api
