// Operational endpoints: GET /version (build, NGSI-LD version) and GET /health
// (for orchestrators: 200 while the broker serves).
#include "api/routes.h"
#include "ngsi/datetime.h"

namespace allmende::api {

namespace {

http::Response version(Call& call) {
  json::object body;
  body["name"] = "allmende";
  body["version"] = call.services.info.version;
  body["revision"] = call.services.info.revision;
  body["ngsiLdVersion"] = "1.9.1";
  body["coreContext"] = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld";
  body["startedAt"] = ngsi::formatDateTime(call.services.info.startedAtMs);
  return call.plain(200, std::move(body));
}

http::Response health(Call& call) {
  json::object body;
  body["status"] = "ok";
  body["uptimeSeconds"] = (ngsi::nowMs() - call.services.info.startedAtMs) / 1000;
  return call.plain(200, std::move(body));
}

}  // namespace

void registerSystemRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "GET", "/version", version);
  addRoute(router, services, "GET", "/health", health);
}

}  // namespace allmende::api
