// Copies of subscriptions at context sources: made when a registration
// subscription reports a source, updated and deleted with the subscription;
// and the two endpoints where this broker hears about sources and copies.
#include "api/distributed_subscriptions.h"

#include <set>

#include <spdlog/spdlog.h>

#include "api/distributed.h"
#include "api/routes.h"
#include "auth/authenticator.h"
#include "federation/forwarder.h"
#include "federation/registration_subscriptions.h"
#include "federation/registry.h"
#include "federation/remote_subscriptions.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "query/type_expr.h"
#include "subscriptions/manager.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

// How sources reach this broker: --public-url, else the Host the request came to.
std::string publicBase(const Call& call) {
  if (!call.services.info.publicUrl.empty()) return call.services.info.publicUrl;
  auto host = call.req.header("host");
  return host ? "http://" + std::string(*host) : std::string();
}

// Where sources (and this broker's registration subscriptions) notify: `path`
// here, with the broker's notification key when authentication is on.
json::object notifyEndpoint(const Call& call, std::string_view path) {
  json::object e{{"uri", publicBase(call) + std::string(path)}, {"accept", "application/json"}};
  if (const auto& key = call.services.notificationKey; !key.empty())
    e["receiverInfo"] = json::array{json::object{{"key", "Authorization"}, {"value", "Bearer " + key}}};
  return e;
}

// With authentication on, only notifications with the broker's notification key pass.
void requireNotifier(const Call& call) {
  if (call.services.authenticator && !auth::Authenticator::isNotifier(call.req.caller.get()))
    fail(ErrorType::Forbidden, "only context sources notifying with this broker's notification key post here");
}

// The request as sent on behalf of subscription s: its @context (a URL) as the Link header.
federation::ClientRequest onBehalfOf(Call& call, const subscriptions::Subscription& s) {
  federation::ClientRequest out;
  out.ctx = &call.context();
  if (auto* j = s.doc.if_contains("jsonldContext"); j && j->is_string())
    out.contextUrl = std::string(j->get_string());
  else if (s.context.is_string())
    out.contextUrl = std::string(s.context.get_string());
  else if (s.context.is_array() && s.context.get_array().size() == 1 && s.context.get_array()[0].is_string())
    out.contextUrl = std::string(s.context.get_array()[0].get_string());
  out.via = "1.1 " + call.services.info.alias;
  return out;
}

// A request about a copy at its source (PATCH or DELETE {base}/subscriptions/{id}): with the
// registration's headers while it exists, else with what the copy recorded.
federation::ForwardRequest copyRequest(Call& call, const subscriptions::Subscription& s,
                                       const federation::RemoteCopy& copy, const std::string& method,
                                       std::string body) {
  std::string path = "/subscriptions/" + http::percentEncode(copy.id);
  try {
    federation::Source source;
    source.registration = call.services.registrations.get(copy.tenant, copy.registrationId);
    return federation::relayRequest(source, onBehalfOf(call, s), method, path, {}, std::move(body));
  } catch (const ngsi::Error&) {  // the registration is gone
    federation::ForwardRequest out;
    out.method = method;
    out.url = copy.base + path;
    out.headers.emplace_back("Via", "1.1 " + call.services.info.alias);
    if (!copy.sourceTenant.empty()) out.headers.emplace_back("NGSILD-Tenant", copy.sourceTenant);
    if (!body.empty()) out.headers.emplace_back("Content-Type", "application/json");
    out.body = std::move(body);
    return out;
  }
}

// The attributes the registration of a copy names (empty: any, or the registration is gone).
std::set<std::string> attributesOf(Call& call, const subscriptions::Subscription& s, const federation::RemoteCopy& copy);

// Sends the requests without waiting; failures are logged.
void sendAside(Call& call, std::vector<federation::ForwardRequest> requests) {
  if (requests.empty()) return;
  std::vector<std::string> urls;
  for (const auto& r : requests) urls.push_back(r.method + " " + r.url);
  call.services.forwarder.send(std::move(requests), [urls](std::vector<http::ClientResponse> responses) {
    for (size_t i = 0; i < responses.size(); ++i)
      if (!responses[i].ok || responses[i].status >= 300)
        spdlog::warn("distributed subscription: {} failed: {}", urls[i],
                     responses[i].ok ? std::to_string(responses[i].status) : responses[i].error);
  });
}

// The registration's source, if it may hold what s watches and takes subscriptions.
std::optional<federation::Source> takesCopy(Call& call, const subscriptions::Subscription& s,
                                            const federation::Registration& r) {
  std::vector<std::string> attrs;
  if (auto* w = s.doc.if_contains("watchedAttributes"); w && w->is_array())
    for (const auto& a : w->get_array()) attrs.emplace_back(a.get_string());
  std::vector<federation::RegistrationQuery> queries;
  if (auto* entities = s.doc.if_contains("entities"); entities && entities->is_array()) {
    for (const auto& e : entities->get_array()) {
      const auto& selector = e.get_object();
      federation::RegistrationQuery q;
      q.attrs = attrs;
      if (auto* t = selector.if_contains("type"); t && t->is_string())
        q.types = query::parseTypeSelection(t->get_string(), call.context());
      if (auto* id = selector.if_contains("id"); id && id->is_string()) q.ids = {std::string(id->get_string())};
      queries.push_back(std::move(q));
    }
  } else {
    federation::RegistrationQuery q;
    q.attrs = attrs;
    queries.push_back(std::move(q));
  }
  for (const auto& q : queries)
    if (auto sources = sourcesFor(call, {r}, q, {"createSubscription"}); !sources.empty()) return sources[0];
  return std::nullopt;
}

std::set<std::string> attributesOf(Call& call, const subscriptions::Subscription& s, const federation::RemoteCopy& copy) {
  try {
    if (auto source = takesCopy(call, s, call.services.registrations.get(copy.tenant, copy.registrationId)))
      return source->attributes;
  } catch (const ngsi::Error&) {  // the registration is gone
  }
  return {};
}

// A copy of s at a source, recorded and sent.
void makeCopy(Call& call, const std::string& tenant, const subscriptions::Subscription& s,
              const federation::Source& source) {
  const auto& r = source.registration;
  federation::RemoteCopy copy{federation::newCopyId(), tenant, s.id, r.id, federation::base(r), ""};
  if (auto* t = r.doc.if_contains("tenant"); t && t->is_string()) copy.sourceTenant = std::string(t->get_string());
  auto body = federation::reducedCopy(s, copy.id, notifyEndpoint(call, kRemoteNotify), source.attributes);
  call.services.remoteCopies.add(copy);
  sendAside(call, {federation::relayRequest(source, onBehalfOf(call, s), "POST", "/subscriptions", {},
                                            json::serialize(body))});
}

void dropCopy(Call& call, const subscriptions::Subscription& s, const federation::RemoteCopy& copy) {
  call.services.remoteCopies.remove(copy);
  sendAside(call, {copyRequest(call, s, copy, "DELETE", "")});
}

// POST /ngsi-ld/ex/registration-notify?tenant=T: what the registration subscription of a
// local subscription found (a ContextSourceNotification): a newly matching or updated
// registration gets a copy (if it has none), one no longer matching loses it.
http::Response registrationNotify(Call& call) {
  call.allowParams({"tenant"});
  requireNotifier(call);
  std::string tenant(call.req.param("tenant").value_or(""));
  const auto& body = call.body(true);
  auto* sid = body.if_contains("subscriptionId");
  auto local = sid && sid->is_string() ? federation::watchedSubscription(sid->get_string()) : std::nullopt;
  if (!local) fail(ErrorType::BadRequestData, "the notification names no subscription of this broker");
  auto s = call.services.subscriptions.get(tenant, *local);
  auto* reason = body.if_contains("triggerReason");
  bool gone = reason && reason->is_string() && reason->get_string() == "noLongerMatching";
  auto copies = call.services.remoteCopies.of(tenant, s.id);
  auto* data = body.if_contains("data");
  for (const auto& item : data && data->is_array() ? data->get_array() : json::array()) {
    auto* rid = item.is_object() ? item.get_object().if_contains("id") : nullptr;
    if (!rid || !rid->is_string()) continue;
    std::string registrationId(rid->get_string());
    std::optional<federation::Registration> r;
    try {
      r = call.services.registrations.get(tenant, registrationId);
    } catch (const ngsi::Error&) {
    }
    auto source = !gone && r ? takesCopy(call, s, *r) : std::nullopt;
    bool has = false;
    for (const auto& c : copies) {
      if (c.registrationId != registrationId) continue;
      has = true;
      if (!source) dropCopy(call, s, c);
    }
    if (source && !has) makeCopy(call, tenant, s, *source);
  }
  return call.empty(204);
}

// POST /ngsi-ld/ex/remote-notify: a copy's notification, passed on to the subscriber of
// the local subscription; entities it does not select (any more) are left out. With
// splitEntities each entity is completed first (5.8.6): by the other sources that may
// hold it (`remote`: what they answered, once asked) and by the local entity.
http::Response remoteNotify(Call& call, Remote* remote) {
  call.allowParams({});
  requireNotifier(call);
  const auto& body = call.body(true);
  auto* sid = body.if_contains("subscriptionId");
  auto copy = sid && sid->is_string() ? call.services.remoteCopies.find(sid->get_string()) : std::nullopt;
  if (!copy)
    fail(ErrorType::ResourceNotFound,
         "no subscription of this broker has a copy with id '" +
             (sid && sid->is_string() ? std::string(sid->get_string()) : std::string()) + "'");
  auto s = call.services.subscriptions.get(copy->tenant, copy->subscriptionId);
  bool split = false;
  if (auto* v = s.doc.if_contains("splitEntities"); v && v->is_bool()) split = v->get_bool();
  std::vector<store::Entity> entities;
  std::set<std::string> deleted;  // entities the source notified as deleted (deletedAt)
  auto* data = body.if_contains("data");
  for (const auto& item : data && data->is_array() ? data->get_array() : json::array()) {
    if (!item.is_object() || !item.get_object().contains("id") || !item.get_object().contains("type")) continue;
    const auto& o = item.get_object();
    bool gone = o.contains("deletedAt");  // then its attributes are NGSI-LD nulls: only id and type count
    auto e = federation::internalEntity(gone ? json::object{{"id", o.at("id")}, {"type", o.at("type")}} : json::object(o),
                                        call.context());
    if (!e) continue;
    if (gone) deleted.emplace(e->at(ngsi::key::id).get_string());
    entities.push_back(std::move(*e));
  }
  if (split && !remote) {  // ask the other sources for their parts first
    std::vector<federation::Source> others;
    std::vector<federation::ForwardRequest> requests;
    auto registrations = call.services.registrations.list(copy->tenant);
    auto client = onBehalfOf(call, s);
    for (const auto& e : entities) {
      federation::RegistrationQuery q;
      std::string id(e.at(ngsi::key::id).get_string());
      q.ids = {id};
      for (auto& source : sourcesFor(call, registrations, q, {"retrieveEntity", "queryEntity", "queryBatch"})) {
        if (source.registration.id == copy->registrationId) continue;  // it notified its part
        requests.push_back(federation::retrieveRequest(source, client, id, {}));
        others.push_back(std::move(source));
      }
    }
    if (!requests.empty())
      return forwardThen(call, std::move(others), std::move(requests), false,
                         [](Call& again, Remote& answered) { return remoteNotify(again, &answered); });
  }
  for (auto& e : entities) {
    if (!split) break;
    std::string_view id = e.at(ngsi::key::id).get_string();
    if (deleted.contains(std::string(id))) continue;
    for (size_t i = 0; remote && i < remote->sources.size(); ++i)
      for (const auto& part : remote->answers[i].entities)  // copied: a notification may name an entity twice
        if (part.at(ngsi::key::id).get_string() == id)
          if (auto p = federation::internalEntity(part, call.context()))
            federation::merge(e, std::move(*p), remote->sources[i]);
    if (auto here = call.services.store.getEntity(copy->tenant, id)) {
      federation::Source local;
      federation::merge(e, std::move(*here), local);
    }
  }
  std::vector<store::Store::Change> changes;
  for (auto& e : entities) {
    if (deleted.contains(std::string(e.at(ngsi::key::id).get_string())))
      changes.push_back({std::move(e), std::nullopt, false});
    else
      changes.push_back({std::nullopt, std::move(e), false});
  }
  call.services.subscriptions.notifyWith(copy->tenant, s.id, changes);
  return call.empty(200);
}

}  // namespace

void distributeSubscription(Call& call, const subscriptions::Subscription& s) {
  auto* localOnly = s.doc.if_contains("localOnly");
  if ((localOnly && localOnly->is_bool() && localOnly->get_bool()) || !mayForward(call) || passedHere(call))
    return;
  if (publicBase(call).empty()) return;
  auto endpoint = notifyEndpoint(call, kRegistrationNotify);
  if (!call.tenant().empty())
    endpoint["uri"] = std::string(endpoint["uri"].as_string()) + "?tenant=" + http::percentEncode(call.tenant(), true);
  auto watch = subscriptions::createSubscription(federation::watchSubscription(s, endpoint), call.context(), s.context,
                                                 ngsi::nowMs(), subscriptions::SubscriptionKind::Registrations);
  call.services.registrationSubscriptions.create(call.tenant(), std::move(watch));
}

void updateDistributed(Call& call, const subscriptions::Subscription& s) {
  std::vector<federation::ForwardRequest> requests;
  for (const auto& copy : call.services.remoteCopies.of(call.tenant(), s.id))
    requests.push_back(copyRequest(call, s, copy, "PATCH",
                                   json::serialize(federation::reducedCopy(
                                       s, "", notifyEndpoint(call, kRemoteNotify), attributesOf(call, s, copy)))));
  sendAside(call, std::move(requests));
  auto id = federation::watchId(s.id);
  try {
    call.services.registrationSubscriptions.get(call.tenant(), id);
  } catch (const ngsi::Error&) {
    return;  // not distributed
  }
  json::object fragment;
  for (std::string_view member : {"entities", "watchedAttributes"})
    fragment[member] = s.doc.contains(member) ? s.doc.at(member) : json::value(nullptr);
  call.services.registrationSubscriptions.update(call.tenant(), id, [&](subscriptions::Subscription& w) {
    subscriptions::patchSubscription(w, fragment, call.context(), ngsi::nowMs());
  });
}

void stopDistributing(Call& call, const subscriptions::Subscription& s) {
  try {
    call.services.registrationSubscriptions.remove(call.tenant(), federation::watchId(s.id));
  } catch (const ngsi::Error&) {  // not distributed
  }
  for (const auto& copy : call.services.remoteCopies.of(call.tenant(), s.id)) dropCopy(call, s, copy);
}

void registerDistributedSubscriptionRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "POST", kRegistrationNotify, registrationNotify);
  addRoute(router, services, "POST", kRemoteNotify, [](Call& call) { return remoteNotify(call, nullptr); });
}

}  // namespace allmende::api
