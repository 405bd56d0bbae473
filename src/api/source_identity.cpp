// Context source identity (clause 5.15, GET /ngsi-ld/v1/info/sourceIdentity):
// who this broker is, for loop detection in federation. The broker's id is
// made once and kept in the store; each tenant gets its own alias.
#include "api/routes.h"
#include "ngsi/datetime.h"

namespace allmende::api {

namespace {

// "P1DT2H3M4.5S" for a number of milliseconds.
std::string isoDuration(int64_t ms) {
  int64_t days = ms / 86400000, rest = ms % 86400000;
  int64_t h = rest / 3600000, m = rest / 60000 % 60;
  double s = static_cast<double>(rest % 60000) / 1000.0;
  char buf[96];
  std::snprintf(buf, sizeof buf, "P%lldDT%lldH%lldM%.3fS", static_cast<long long>(days),
                static_cast<long long>(h), static_cast<long long>(m), s);
  return buf;
}

http::Response sourceIdentity(Call& call) {
  call.allowParams({});
  const auto& id = call.services.info.brokerId;
  json::object body;
  body["id"] = id;
  body["type"] = "ContextSourceIdentity";
  const auto& alias = call.services.info.alias;
  body["contextSourceAlias"] = call.tenant().empty() ? alias : alias + ":tenant:" + call.tenant();
  body["contextSourceUptime"] = isoDuration(ngsi::nowMs() - call.services.info.startedAtMs);
  body["contextSourceTimeAt"] = ngsi::formatDateTime(ngsi::nowMs());
  body["contextSourceExtras"] = json::object{{"broker", "allmende"}, {"version", call.services.info.version}};
  return call.respond(200, std::move(body), negotiate(call.req, false));
}

}  // namespace

void registerSourceIdentityRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "GET", "/ngsi-ld/v1/info/sourceIdentity", sourceIdentity);
}

}  // namespace allmende::api
