// Subscriptions (clause 5.8, 6.10-6.11): create, query with paging, retrieve,
// update (PATCH fragment) and delete. What a subscription may contain and how
// it is shown lives in subscriptions/subscription.h; matching and delivery in
// subscriptions/manager.h.
//
// A subscription created with an inline @context (an object, or an array that
// is not one URL) and without jsonldContext gets an ImplicitlyCreated @context
// holding it (clause 5.13): its URL becomes the subscription's jsonldContext,
// so that notifications can name the @context in a Link header. The context
// belongs to the subscription: it is deleted with it, or when a PATCH changes
// or removes jsonldContext.
//
// Subscriptions are copied to the registered context sources that may hold
// what they watch (api/distributed_subscriptions.h).
//
// With authentication on, a subscription belongs to its creator: it notifies
// what its owner may read (subscriptions/manager.h), and only its owner (by
// token subject) and the tenant's admins see, change or delete it; to anyone
// else it does not exist.
#include "api/distributed_subscriptions.h"
#include "api/paging.h"
#include "api/routes.h"
#include "api/version_preference.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"
#include "subscriptions/manager.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kPath = "/ngsi-ld/v1/subscriptions";

// Deletes the ImplicitlyCreated @context that a subscription's jsonldContext names
// (the subscription is deleted, or a PATCH changed jsonldContext to `kept`, null if removed).
void dropImplicitContext(Call& call, const json::value* jsonldContext,
                         const json::value* kept = nullptr) {
  if (!jsonldContext || !jsonldContext->is_string() || (kept && *kept == *jsonldContext)) return;
  auto entry = call.services.contexts.find(std::string(jsonldContext->get_string()), call.tenant());
  if (entry && entry->kind == "ImplicitlyCreated")
    call.services.contexts.remove(entry->localId, call.tenant());
}

// True if the caller may see and manage the subscription.
bool manages(Call& call, const subscriptions::Subscription& s) {
  return !s.owner || call.access()->isAdmin() || (call.req.caller && call.req.caller->subject == s.owner->subject);
}

// The subscription, or ResourceNotFound (as for an unknown id) if the caller may not manage it.
subscriptions::Subscription managed(Call& call, const std::string& id) {
  auto s = call.services.subscriptions.get(call.tenant(), id);
  if (!manages(call, s)) fail(ErrorType::ResourceNotFound, "no subscription with id '" + id + "'");
  return s;
}

http::Response createSubscription(Call& call) {
  call.allowParams({});
  const auto& body = call.body();
  if (call.req.caller && call.req.caller->subject.empty())
    fail(ErrorType::Forbidden, "subscribing needs credentials (a token or an API key): anonymous callers may only read");
  auto s = subscriptions::createSubscription(body, call.context(), call.contextValue(), ngsi::nowMs());
  s.owner = call.req.caller;
  std::optional<jsonld::ContextEntry> implicit;
  if (!s.context.is_null() && !jsonld::isSingleUrl(s.context) && !s.doc.contains("jsonldContext")) {
    implicit = call.services.contexts.addImplicit(s.context, call.tenant());
    s.doc["jsonldContext"] = implicit->url;
  }
  std::string id = s.id;
  try {
    call.services.subscriptions.create(call.tenant(), std::move(s));
  } catch (const ngsi::Error&) {
    if (implicit) call.services.contexts.remove(implicit->localId, call.tenant());
    throw;
  }
  distributeSubscription(call, call.services.subscriptions.get(call.tenant(), id));
  auto res = call.empty(201);
  res.setHeader("Location", std::string(kPath) + "/" + id);
  return res;
}

http::Response querySubscriptions(Call& call) {
  call.allowParams({"limit", "offset", "count", "options"});
  auto media = negotiate(call.req, false);
  auto paging = pagingParams(call);
  bool sysAttrs = call.sysAttrsOption();
  call.requireTenant();
  auto all = call.services.subscriptions.list(call.tenant());
  std::erase_if(all, [&call](const subscriptions::Subscription& s) { return !manages(call, s); });
  auto now = ngsi::nowMs();
  json::array out;
  for (size_t i = paging.offset; i < all.size() && out.size() < paging.limit; ++i)
    out.push_back(subscriptions::renderSubscription(all[i], call.context(), sysAttrs, now));
  bool more = paging.offset + paging.limit < all.size();
  auto res = respondForVersion(call, 200, std::move(out), media, Payload::Other);
  addPageHeaders(call, res, paging, more, all.size(), media);
  return res;
}

http::Response retrieveSubscription(Call& call) {
  call.allowParams({"options"});
  auto media = negotiate(call.req, false);
  auto id = call.uriPathParam(0, "the subscription id");
  bool sysAttrs = call.sysAttrsOption();
  call.requireTenant();
  auto s = managed(call, id);
  return respondForVersion(call, 200, subscriptions::renderSubscription(s, call.context(), sysAttrs, ngsi::nowMs()),
                           media, Payload::Other);
}

http::Response updateSubscription(Call& call) {
  call.allowParams({});
  auto id = call.uriPathParam(0, "the subscription id");
  const auto& fragment = call.body(true);
  const auto& ctx = call.context();
  call.requireTenant();
  managed(call, id);
  json::value before, after;
  call.services.subscriptions.update(call.tenant(), id, [&](subscriptions::Subscription& s) {
    if (auto* j = s.doc.if_contains("jsonldContext")) before = *j;
    subscriptions::patchSubscription(s, fragment, ctx, ngsi::nowMs());
    if (auto* j = s.doc.if_contains("jsonldContext")) after = *j;
  });
  dropImplicitContext(call, &before, &after);
  updateDistributed(call, call.services.subscriptions.get(call.tenant(), id));
  return call.empty(204);
}

http::Response deleteSubscription(Call& call) {
  call.allowParams({});
  auto id = call.uriPathParam(0, "the subscription id");
  call.requireTenant();
  auto s = managed(call, id);
  call.services.subscriptions.remove(call.tenant(), id);
  dropImplicitContext(call, s.doc.if_contains("jsonldContext"));
  stopDistributing(call, s);
  return call.empty(204);
}

}  // namespace

void registerSubscriptionRoutes(http::Router& router, Services& services) {
  std::string one = std::string(kPath) + "/{}";
  addRoute(router, services, "POST", kPath, createSubscription);
  addRoute(router, services, "GET", kPath, querySubscriptions);
  addRoute(router, services, "GET", one, retrieveSubscription);
  addRoute(router, services, "PATCH", one, updateSubscription);
  addRoute(router, services, "DELETE", one, deleteSubscription);
}

}  // namespace allmende::api
