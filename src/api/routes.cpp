// Dispatch: routing misses, and the one place where errors become
// ProblemDetails (HTTP-level ones as well, so that every detail passes through
// ngsi::Error and is valid UTF-8).
#include "api/routes.h"

#include <spdlog/spdlog.h>

#include "auth/access.h"
#include "common/deadline.h"
#include "http/request_metrics.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::api {

using ngsi::ErrorType;

namespace {

ErrorType typeForStatus(int status) {
  switch (status) {
    case 413: return ErrorType::RequestEntityTooLarge;
    case 404: return ErrorType::ResourceNotFound;
    case 405: return ErrorType::MethodNotAllowed;
    case 500: return ErrorType::InternalError;
    default: return ErrorType::InvalidRequest;
  }
}

// The answer to an error, with the request's tenant echoed.
http::Response errorResponse(const http::Request& req, const ngsi::Error& e) {
  auto res = problemResponse(e);
  if (auto t = req.header("ngsild-tenant"); t && ngsi::isValidTenant(*t))
    res.setHeader("NGSILD-Tenant", std::string(*t));
  if (auto s = req.header("ngsild-snapshot")) res.setHeader("NGSILD-Snapshot", std::string(*s));
  return res;
}

// A request that ran past --request-time-limit (docs/decisions.md): the query
// is valid but too costly for the data, so the client is told how to narrow it.
ngsi::Error timeLimitError(const DeadlineExceeded& e) {
  return ngsi::Error(
      ErrorType::TooComplexQuery,
      "the request ran longer than the limit of " + std::to_string(e.limit().count()) +
          " ms (--request-time-limit) while examining candidates; narrow it so that fewer "
          "are read: a type, q comparing attributes with numbers or strings (==, ranges, "
          "~=^prefix: indexed) rather than other terms, a "
          "geo-query, ids instead of idPattern, a smaller limit and offset, no count=true or "
          "orderBy; in the temporal API also a shorter time range (timerel) or lastN");
}

// The role a route area needs in the request's tenant before its handlers
// run, with authentication on (docs/security.md): to read (GET) and for the
// other methods; none: the handlers check what each request touches
// (entities, attributes, the admin APIs), or the area is open to every
// authenticated caller.
struct Needs {
  std::optional<auth::Role> read, write;
};
Needs registering;  // of the area whose routes are being added (registerRoutes)

const char* roleName(auth::Role role) {
  switch (role) {
    case auth::Role::Reader: return "reader";
    case auth::Role::Writer: return "writer";
    case auth::Role::Admin: return "admin";
  }
  return "";
}

}  // namespace

void addRoute(http::Router& router, Services& services, std::string method,
              std::string_view pattern, Handler handler) {
  auto role = method == "GET" ? registering.read : registering.write;
  router.add(std::move(method), pattern,
             [&services, role, handler = std::move(handler)](http::Request& req) {
               Call call(req, services);
               if (role && !call.access()->hasRole(*role))
                 ngsi::fail(ErrorType::Forbidden, std::string("this needs the ") + roleName(*role) +
                                                      " role in the tenant, which the caller has not been granted");
               auto res = handler(call);
               if (call.requestIdUsed()) res.setHeader("X-Request-Id", call.requestId());
               return res;
             });
}

void registerRoutes(http::Router& router, Services& services) {
  // Each area's routes are a route family of the request metrics.
  auto area = [&](std::string_view family, void (*add)(http::Router&, Services&), Needs needs = {}) {
    router.beginFamily(services.requestMetrics.addFamily(family));
    registering = needs;
    add(router, services);
  };
  using auth::Role;
  area("system", registerSystemRoutes);
  area("system", registerMetricsRoutes);
  area("entities", registerEntityRoutes);
  area("attributes", registerAttributeRoutes);
  area("contexts", registerContextRoutes, {std::nullopt, Role::Writer});
  area("info", registerSourceIdentityRoutes);
  area("query", registerQueryRoutes);
  area("batch", registerBatchRoutes);
  area("purge", registerPurgeRoutes);
  area("discovery", registerDiscoveryRoutes);
  area("subscriptions", registerSubscriptionRoutes, {Role::Reader, Role::Reader});
  area("subscriptions", registerDistributedSubscriptionRoutes);  // for context sources' notifications
  area("registrations", registerRegistrationRoutes, {Role::Reader, Role::Admin});
  area("registrations", registerRegistrationSubscriptionRoutes, {Role::Reader, Role::Reader});
  area("entityMaps", registerEntityMapRoutes, {Role::Reader, Role::Reader});
  area("snapshots", registerSnapshotRoutes, {Role::Reader, Role::Admin});
  area("temporal", registerTemporalQueryRoutes);
  area("temporal", registerTemporalEntityRoutes);
  area("admin", registerApiKeyRoutes);
  area("admin", registerGrantRoutes);
  area("admin", registerAuditRoutes);
  registering = {};
}

http::Response httpProblem(int status, std::string_view detail) {
  return problemResponse(ngsi::Error(typeForStatus(status), std::string(detail)));
}

http::Response guarded(const http::Request& req, const std::function<http::Response()>& make) {
  try {
    return make();
  } catch (const ngsi::Error& e) {
    return errorResponse(req, e);
  } catch (const DeadlineExceeded& e) {
    return errorResponse(req, timeLimitError(e));
  } catch (const std::exception& e) {
    spdlog::error("{} {} failed: {}", req.method, req.path, e.what());
    return httpProblem(500, "internal error while processing the request");
  }
}

http::Response dispatch(const http::Router& router, http::Request& req, const auth::Authenticator* auth) {
  return guarded(req, [&] {
    if (auto refusal = auth ? auth->refuse(req) : std::nullopt) {
      auto res = problemResponse(ngsi::Error(ErrorType::Unauthorized, refusal->detail));
      res.setHeader("WWW-Authenticate", refusal->challenge);
      return res;
    }
    auto match = router.match(req);
    if (auto* handler = std::get_if<const http::Router::Handler*>(&match)) return (**handler)(req);
    switch (std::get<http::Router::Miss>(match)) {
      case http::Router::Miss::MethodNotAllowed: {
        auto res = httpProblem(405, "method " + req.method + " is not allowed on " + req.path);
        res.setHeader("Allow", router.allowedMethods(req));
        return res;
      }
      case http::Router::Miss::BadPath:
        return problemResponse(
            ngsi::Error(ErrorType::BadRequestData, "the path is not correctly percent-encoded"));
      case http::Router::Miss::NotFound:
        break;
    }
    return httpProblem(404, "no resource at " + req.path);
  });
}

}  // namespace allmende::api
