// Registration subscriptions (clause 5.11, 6.10-6.11 for /csourceSubscriptions):
// create, query with paging, retrieve, update (PATCH fragment) and delete.
// The members are those of an entity subscription (subscriptions/subscription.h,
// SubscriptionKind::Registrations); matching and notification live in
// federation/registration_subscriptions.h.
#include "federation/registration_subscriptions.h"
#include "api/paging.h"
#include "api/routes.h"
#include "api/version_preference.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;
using subscriptions::SubscriptionKind;

namespace {

constexpr std::string_view kPath = "/ngsi-ld/v1/csourceSubscriptions";

http::Response create(Call& call) {
  call.allowParams({});
  const auto& body = call.body();
  auto s = subscriptions::createSubscription(body, call.context(), call.contextValue(),
                                             ngsi::nowMs(), SubscriptionKind::Registrations);
  std::string id = s.id;
  call.services.registrationSubscriptions.create(call.tenant(), std::move(s));
  auto res = call.empty(201);
  res.setHeader("Location", std::string(kPath) + "/" + id);
  return res;
}

http::Response query(Call& call) {
  call.allowParams({"limit", "offset", "count", "options"});
  auto media = negotiate(call.req, false);
  auto paging = pagingParams(call);
  bool sysAttrs = call.sysAttrsOption();
  call.requireTenant();
  auto all = call.services.registrationSubscriptions.list(call.tenant());
  auto now = ngsi::nowMs();
  json::array out;
  for (size_t i = paging.offset; i < all.size() && out.size() < paging.limit; ++i)
    out.push_back(subscriptions::renderSubscription(all[i], call.context(), sysAttrs, now));
  bool more = paging.offset + paging.limit < all.size();
  auto res = respondForVersion(call, 200, std::move(out), media, Payload::Other);
  addPageHeaders(call, res, paging, more, all.size(), media);
  return res;
}

http::Response retrieve(Call& call) {
  call.allowParams({"options"});
  auto media = negotiate(call.req, false);
  auto id = call.uriPathParam(0, "the subscription id");
  bool sysAttrs = call.sysAttrsOption();
  call.requireTenant();
  auto s = call.services.registrationSubscriptions.get(call.tenant(), id);
  return respondForVersion(
      call, 200, subscriptions::renderSubscription(s, call.context(), sysAttrs, ngsi::nowMs()),
      media, Payload::Other);
}

http::Response update(Call& call) {
  call.allowParams({});
  auto id = call.uriPathParam(0, "the subscription id");
  const auto& fragment = call.body(true);
  const auto& ctx = call.context();
  call.requireTenant();
  call.services.registrationSubscriptions.update(
      call.tenant(), id, [&](subscriptions::Subscription& s) {
        subscriptions::patchSubscription(s, fragment, ctx, ngsi::nowMs());
      });
  return call.empty(204);
}

http::Response remove(Call& call) {
  call.allowParams({});
  auto id = call.uriPathParam(0, "the subscription id");
  call.requireTenant();
  call.services.registrationSubscriptions.remove(call.tenant(), id);
  return call.empty(204);
}

}  // namespace

void registerRegistrationSubscriptionRoutes(http::Router& router, Services& services) {
  std::string one = std::string(kPath) + "/{}";
  addRoute(router, services, "POST", kPath, create);
  addRoute(router, services, "GET", kPath, query);
  addRoute(router, services, "GET", one, retrieve);
  addRoute(router, services, "PATCH", one, update);
  addRoute(router, services, "DELETE", one, remove);
}

}  // namespace allmende::api
