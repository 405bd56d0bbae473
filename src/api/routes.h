// The API's route table and the single entry point the HTTP server calls:
// routing, and the mapping of ngsi::Error (and anything unexpected) to
// ProblemDetails responses.
#pragma once

#include <functional>

#include "api/call.h"
#include "api/services.h"
#include "auth/authenticator.h"
#include "http/router.h"

namespace allmende::api {

using Handler = std::function<http::Response(Call&)>;

// Adds a route whose handler receives a Call.
void addRoute(http::Router& router, Services& services, std::string method,
              std::string_view pattern, Handler handler);

// Registers every endpoint of the API.
void registerRoutes(http::Router& router, Services& services);

// Answers one request (never throws). With an authenticator, a request it
// refuses gets 401 before routing (an unknown path reveals nothing either).
http::Response dispatch(const http::Router& router, http::Request& req, const auth::Authenticator* auth = nullptr);

// What `make` answers for the request, or the ProblemDetails of what it threw (never throws).
http::Response guarded(const http::Request& req, const std::function<http::Response()>& make);

// The ProblemDetails response for an HTTP-level status the server produces itself.
http::Response httpProblem(int status, std::string_view detail);

// Per-area registration, one per api/*.cpp file.
void registerEntityRoutes(http::Router& router, Services& services);
void registerAttributeRoutes(http::Router& router, Services& services);
void registerContextRoutes(http::Router& router, Services& services);
void registerSystemRoutes(http::Router& router, Services& services);
void registerMetricsRoutes(http::Router& router, Services& services);
void registerSourceIdentityRoutes(http::Router& router, Services& services);
void registerQueryRoutes(http::Router& router, Services& services);
void registerBatchRoutes(http::Router& router, Services& services);
void registerPurgeRoutes(http::Router& router, Services& services);
void registerDiscoveryRoutes(http::Router& router, Services& services);
void registerSubscriptionRoutes(http::Router& router, Services& services);
void registerDistributedSubscriptionRoutes(http::Router& router, Services& services);
void registerRegistrationRoutes(http::Router& router, Services& services);
void registerRegistrationSubscriptionRoutes(http::Router& router, Services& services);
void registerEntityMapRoutes(http::Router& router, Services& services);
void registerSnapshotRoutes(http::Router& router, Services& services);
void registerApiKeyRoutes(http::Router& router, Services& services);
void registerGrantRoutes(http::Router& router, Services& services);
void registerAuditRoutes(http::Router& router, Services& services);
void registerTemporalQueryRoutes(http::Router& router, Services& services);
void registerTemporalEntityRoutes(http::Router& router, Services& services);

}  // namespace allmende::api
