// The admin API of API keys (/ngsi-ld/ex/apiKeys): make one (its secret is in
// this answer only), list them, read one, revoke one. Only the broker-wide
// admin (--auth-admin) may use it, and only with authentication on.
#include "api/routes.h"
#include "api/version_preference.h"
#include "auth/api_keys.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kPath = "/ngsi-ld/ex/apiKeys";

void requireAdmin(Call& call) {
  if (!call.services.authenticator)
    fail(ErrorType::OperationNotSupported, "API keys need authentication on (--auth-issuer)");
  if (!call.services.authenticator->isAdmin(call.req.caller.get()))
    fail(ErrorType::Forbidden, "only the broker's admin (--auth-admin) manages API keys");
}

json::object render(const auth::ApiKey& k) {
  return {{"id", k.id}, {"type", "ApiKey"}, {"name", k.name}, {"createdBy", k.createdBy},
          {"createdAt", ngsi::formatDateTime(k.createdAtMs)}};
}

http::Response createKey(Call& call) {
  call.allowParams({});
  requireAdmin(call);
  const auto& body = call.body();
  for (const auto& [member, _] : body)
    if (member != "name" && member != "type")
      fail(ErrorType::BadRequestData, "an API key has no member '" + std::string(member) + "' (only name)");
  auto* name = body.if_contains("name");
  if (!name || !name->is_string() || name->get_string().empty() || name->get_string().size() > 200)
    fail(ErrorType::BadRequestData, "an API key needs a name (a string of 1 to 200 characters) saying what uses it");
  auto [key, secret] = call.services.apiKeys.create(std::string(name->get_string()), call.req.caller->subject);
  call.audit("", key.id, "createApiKey");  // API keys are broker-wide: in the default tenant's trail
  auto out = render(key);
  out["key"] = secret;  // shown this once
  auto res = respondForVersion(call, 201, std::move(out), negotiate(call.req, false), Payload::Other);
  res.setHeader("Location", std::string(kPath) + "/" + http::percentEncode(key.id));
  return res;
}

http::Response listKeys(Call& call) {
  call.allowParams({});
  requireAdmin(call);
  json::array out;
  for (const auto& k : call.services.apiKeys.list()) out.push_back(render(k));
  return respondForVersion(call, 200, std::move(out), negotiate(call.req, false), Payload::Other);
}

http::Response retrieveKey(Call& call) {
  call.allowParams({});
  requireAdmin(call);
  auto key = call.services.apiKeys.get(call.pathParam(0));
  if (!key) fail(ErrorType::ResourceNotFound, "no API key with id '" + call.pathParam(0) + "'");
  return respondForVersion(call, 200, render(*key), negotiate(call.req, false), Payload::Other);
}

http::Response revokeKey(Call& call) {
  call.allowParams({});
  requireAdmin(call);
  if (!call.services.apiKeys.revoke(call.pathParam(0)))
    fail(ErrorType::ResourceNotFound, "no API key with id '" + call.pathParam(0) + "'");
  call.audit("", call.pathParam(0), "revokeApiKey");
  return call.empty(204);
}

}  // namespace

void registerApiKeyRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "POST", kPath, createKey);
  addRoute(router, services, "GET", kPath, listKeys);
  addRoute(router, services, "GET", "/ngsi-ld/ex/apiKeys/{}", retrieveKey);
  addRoute(router, services, "DELETE", "/ngsi-ld/ex/apiKeys/{}", revokeKey);
}

}  // namespace allmende::api
