// Subscription members one by one (each checked and, where it holds terms,
// expanded), then the rules between members; GET rendering compacts back.
#include "subscriptions/subscription.h"

#include <functional>
#include <set>

#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "ngsi/members.h"
#include "ngsi/syntax.h"
#include "query/entity_selector.h"
#include "query/q.h"
#include "query/temporal_q.h"

namespace allmende::subscriptions {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

const std::set<std::string_view> kTriggers = {"entityCreated",    "entityUpdated",    "entityDeleted",
                                              "attributeCreated", "attributeUpdated", "attributeDeleted"};
const std::set<std::string_view> kFormats = {"normalized", "keyValues", "simplified", "concise"};
const std::set<std::string_view> kAccepts = {"application/json", "application/ld+json", "application/geo+json"};

[[noreturn]] void bad(const std::string& detail) { fail(ErrorType::BadRequestData, detail); }

using ngsi::compactedNames;
using ngsi::expandedNames;
using ngsi::keyValuePairs;
using ngsi::nonEmptyStrings;

bool isPositiveNumber(const json::value& v) { return v.is_number() && v.to_number<double>() > 0; }

json::object endpoint(const json::value& v) {
  if (!v.is_object()) bad("notification.endpoint must be an object with a uri");
  const auto& e = v.get_object();
  json::object out;
  auto* uri = e.if_contains("uri");
  if (!uri || !uri->is_string() || !ngsi::isUri(uri->get_string()))
    bad("notification.endpoint.uri must be an absolute URI");
  std::string_view u = uri->get_string();
  if (!u.starts_with("http://") && !u.starts_with("https://") && !u.starts_with("mqtt://") &&
      !u.starts_with("mqtts://"))
    bad("notification.endpoint.uri must be an http, https, mqtt or mqtts URI");
  out["uri"] = *uri;
  if (auto* a = e.if_contains("accept")) {
    if (!a->is_string() || !kAccepts.contains(a->get_string()))
      bad("notification.endpoint.accept must be application/json, application/ld+json or application/geo+json");
    out["accept"] = *a;
  }
  if (auto* r = e.if_contains("receiverInfo")) out["receiverInfo"] = keyValuePairs(*r, "endpoint.receiverInfo");
  if (auto* n = e.if_contains("notifierInfo")) {
    out["notifierInfo"] = keyValuePairs(*n, "endpoint.notifierInfo");
    for (const auto& p : n->get_array()) {
      std::string_view key = p.at("key").get_string(), value = p.at("value").get_string();
      if (key == "MQTT-QoS" && value != "0" && value != "1" && value != "2") bad("notifierInfo MQTT-QoS must be 0, 1 or 2");
      if (key == "MQTT-Version" && value != "mqtt3.1.1" && value != "mqtt5.0")
        bad("notifierInfo MQTT-Version must be mqtt3.1.1 or mqtt5.0");
    }
  }
  return out;
}

json::object notification(const json::value& v, const jsonld::Context& ctx) {
  if (!v.is_object()) bad("notification must be an object");
  const auto& n = v.get_object();
  json::object out;
  if (auto* a = n.if_contains("attributes")) out["attributes"] = expandedNames(*a, "notification.attributes", ctx);
  std::set<std::string_view> picked;
  for (std::string_view member : {"pick", "omit"}) {
    auto* p = n.if_contains(member);
    if (!p) continue;
    if (n.contains("attributes")) bad("notification." + std::string(member) + " cannot go with attributes");
    for (const auto& name : nonEmptyStrings(*p, "notification." + std::string(member))) {
      if (member == "pick") picked.insert(name.get_string());
      if (member == "omit" && picked.contains(name.get_string()))
        bad("'" + std::string(name.get_string()) + "' is both picked and omitted");
    }
    out[member] = *p;
  }
  if (auto* f = n.if_contains("format")) {
    if (!f->is_string() || !kFormats.contains(f->get_string()))
      bad("notification.format must be normalized, concise, keyValues or simplified");
    out["format"] = *f;
  }
  for (std::string_view member : {"sysAttrs", "showChanges"}) {
    if (auto* b = n.if_contains(member)) {
      if (!b->is_bool()) bad("notification." + std::string(member) + " must be true or false");
      out[member] = *b;
    }
  }
  if (out.contains("showChanges") && out["showChanges"].as_bool() && out.contains("format") &&
      (out["format"].as_string() == "keyValues" || out["format"].as_string() == "simplified"))
    bad("notification.showChanges needs the normalized or concise format");
  if (auto* j = n.if_contains("join")) {
    if (!j->is_string() || (j->get_string() != "flat" && j->get_string() != "inline" && j->get_string() != "@none"))
      bad("notification.join must be flat, inline or @none");
    out["join"] = *j;
  }
  if (auto* l = n.if_contains("joinLevel")) {
    if (!l->is_int64() || l->get_int64() < 1) bad("notification.joinLevel must be a positive integer");
    out["joinLevel"] = *l;
  }
  auto* e = n.if_contains("endpoint");
  if (!e) bad("notification needs an endpoint");
  out["endpoint"] = endpoint(*e);
  return out;
}

// One top-level member, checked and (for terms) expanded; nullopt = drop it.
std::optional<json::value> member(std::string_view name, const json::value& v, const jsonld::Context& ctx,
                                  int64_t now, SubscriptionKind kind) {
  if (name == "type") {
    if (!v.is_string() || v.get_string() != "Subscription") bad("type must be \"Subscription\"");
    return v;
  }
  if (name == "subscriptionName" || name == "description" || name == "lang") {
    if (!v.is_string()) bad(std::string(name) + " must be a string");
    return v;
  }
  if (name == "entities") {
    query::parseEntitySelectors(v, ctx, true);
    json::array out;
    for (const auto& e : v.get_array()) {
      json::object s = e.get_object();
      s["type"] = mapTypeNames(s["type"].get_string(), [&ctx](std::string_view t) { return ctx.expand(t); });
      out.emplace_back(std::move(s));
    }
    return out;
  }
  if (name == "watchedAttributes") return expandedNames(v, "watchedAttributes", ctx);
  if (name == "notificationTrigger") {
    if (kind == SubscriptionKind::Registrations) return std::nullopt;  // not applicable (5.2.12)
    for (const auto& t : nonEmptyStrings(v, "notificationTrigger"))
      if (!kTriggers.contains(t.get_string()))
        bad("notificationTrigger '" + std::string(t.get_string()) +
            "' is none of entityCreated, entityUpdated, entityDeleted, attributeCreated, attributeUpdated, "
            "attributeDeleted");
    return v;
  }
  if (name == "timeInterval") {
    if (!isPositiveNumber(v)) bad("timeInterval must be a positive number of seconds");
    return v;
  }
  if (name == "throttling") {
    if (!isPositiveNumber(v)) bad("throttling must be a positive number of seconds");
    return v;
  }
  if (name == "q" || name == "scopeQ" || name == "csf") {
    if (!v.is_string()) bad(std::string(name) + " must be a string");
    if (name == "scopeQ")
      query::parseScopeQ(queryText(v.get_string()));
    else
      query::parseQ(queryText(v.get_string()), ctx);
    return v;
  }
  if (name == "geoQ") {
    query::parseGeoQ(v, ctx);
    return v;
  }
  if (name == "isActive" || name == "localOnly" || name == "splitEntities") {
    if (!v.is_bool()) bad(std::string(name) + " must be true or false");
    return v;
  }
  if (name == "expiresAt") {
    ngsi::futureDateTime(v, "expiresAt", now);
    return v;
  }
  if (name == "datasetId") {
    for (const auto& d : nonEmptyStrings(v, "datasetId"))
      if (!ngsi::isUri(d.get_string())) bad("datasetId '" + std::string(d.get_string()) + "' is not a URI");
    return v;
  }
  if (name == "temporalQ") {
    if (!v.is_object()) bad("temporalQ must be an object");
    if (kind == SubscriptionKind::Registrations) {
      auto text = [&v](std::string_view m) -> std::optional<std::string_view> {
        auto* x = v.get_object().if_contains(m);
        if (!x) return std::nullopt;
        if (!x->is_string()) bad("temporalQ." + std::string(m) + " must be a string");
        return std::string_view(x->get_string());
      };
      auto t = query::parseTemporalQ(text("timerel"), text("timeAt"), text("endTimeAt"), text("timeproperty"),
                                     std::nullopt);
      if (!t.timerel) bad("temporalQ needs a timerel");
    }
    return v;
  }
  if (name == "jsonldContext") {
    if (!v.is_string() || !ngsi::isUri(v.get_string())) bad("jsonldContext must be the URI of an @context");
    return v;
  }
  if (name == "notification") return json::value(notification(v, ctx));
  return std::nullopt;  // read-only (status, createdAt, ...) or unknown: dropped
}

void checkWhole(const json::object& doc) {
  if (!doc.contains("type")) bad("type must be \"Subscription\"");
  if (!doc.contains("entities") && !doc.contains("watchedAttributes"))
    bad("a subscription needs entities or watchedAttributes");
  if (!doc.contains("notification")) bad("a subscription needs notification parameters");
  if (doc.contains("timeInterval") && doc.contains("watchedAttributes"))
    bad("timeInterval and watchedAttributes cannot go together");
  if (doc.contains("timeInterval") && doc.contains("throttling"))
    bad("timeInterval and throttling cannot go together");
}

}  // namespace

std::string queryText(std::string_view member) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  std::string out;
  for (size_t i = 0; i < member.size(); ++i) {
    if (member[i] == '%' && i + 2 < member.size() && hex(member[i + 1]) >= 0 && hex(member[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(member[i + 1]) * 16 + hex(member[i + 2])));
      i += 2;
    } else {
      out.push_back(member[i]);
    }
  }
  return out;
}

std::string mapTypeNames(std::string_view expression, const std::function<std::string(std::string_view)>& fn) {
  std::string out;
  size_t start = 0;
  auto flush = [&](size_t end) {
    if (end > start) out += fn(expression.substr(start, end - start));
  };
  for (size_t i = 0; i < expression.size(); ++i) {
    char c = expression[i];
    if (c == ',' || c == ';' || c == '|' || c == '(' || c == ')') {
      flush(i);
      out.push_back(c);
      start = i + 1;
    }
  }
  flush(expression.size());
  return out;
}

Subscription createSubscription(const json::object& body, const jsonld::Context& ctx, json::value context,
                                int64_t now, SubscriptionKind kind) {
  Subscription s;
  s.kind = kind;
  s.context = std::move(context);
  if (auto* id = body.if_contains("id")) {
    if (!id->is_string() || !ngsi::isUri(id->get_string())) bad("the subscription id must be a URI");
    s.id = std::string(id->get_string());
  } else {
    s.id = ngsi::randomUrn("Subscription");
  }
  s.doc["id"] = s.id;
  for (const auto& [name, value] : body)
    if (name != "id" && name != "@context")
      if (auto v = member(name, value, ctx, now, kind)) s.doc[name] = std::move(*v);
  checkWhole(s.doc);
  s.createdAtMs = s.modifiedAtMs = now;
  return s;
}

void patchSubscription(Subscription& s, const json::object& fragment, const jsonld::Context& ctx, int64_t now) {
  json::object doc = s.doc;
  for (const auto& [name, value] : fragment) {
    if (name == "@context") continue;
    if (name == "id") {
      if (!value.is_string() || value.get_string() != s.id) bad("the fragment's id differs from the subscription's");
      continue;
    }
    if (value.is_null()) {
      if (name == "type" || name == "notification") bad(std::string(name) + " cannot be removed");
      doc.erase(name);
      continue;
    }
    if (auto v = member(name, value, ctx, now, s.kind)) doc[name] = std::move(*v);
  }
  checkWhole(doc);
  s.doc = std::move(doc);
  s.modifiedAtMs = now;
}

std::string_view statusOf(const Subscription& s, int64_t now) {
  if (auto* e = s.doc.if_contains("expiresAt"))
    if (auto at = ngsi::parseDateTime(e->get_string()); at && *at <= now) return "expired";
  if (auto* a = s.doc.if_contains("isActive"); a && !a->get_bool()) return "paused";
  return "active";
}

json::object renderSubscription(const Subscription& s, const jsonld::Context& ctx, bool sysAttrs, int64_t now) {
  json::object out = s.doc;
  if (auto* entities = out.if_contains("entities"))
    for (auto& e : entities->get_array()) {
      auto& sel = e.get_object();
      sel["type"] = mapTypeNames(sel["type"].get_string(), [&ctx](std::string_view t) { return ctx.compact(t); });
    }
  if (auto* w = out.if_contains("watchedAttributes")) *w = compactedNames(w->get_array(), ctx);
  if (s.kind == SubscriptionKind::Entities && !out.contains("notificationTrigger"))
    out["notificationTrigger"] = json::array{"attributeCreated", "attributeUpdated"};
  auto& n = out["notification"].get_object();
  if (auto* a = n.if_contains("attributes")) *a = compactedNames(a->get_array(), ctx);
  const auto& st = s.stats;
  if (st.timesSent + st.timesFailed > 0) {
    n["status"] = st.lastFailureMs > st.lastSuccessMs ? "failed" : "ok";
    n["timesSent"] = st.timesSent;
    if (st.timesFailed) n["timesFailed"] = st.timesFailed;
    if (st.lastNotificationMs) n["lastNotification"] = ngsi::formatDateTime(st.lastNotificationMs);
    if (st.lastSuccessMs) n["lastSuccess"] = ngsi::formatDateTime(st.lastSuccessMs);
    if (st.lastFailureMs) n["lastFailure"] = ngsi::formatDateTime(st.lastFailureMs);
  }
  if (st.pending) n["pending"] = st.pending;  // Allmende's own member: notifications queued or in flight
  out["status"] = statusOf(s, now);
  if (sysAttrs) {
    out["createdAt"] = ngsi::formatDateTime(s.createdAtMs);
    out["modifiedAt"] = ngsi::formatDateTime(s.modifiedAtMs);
  }
  return out;
}

std::string serializeSubscription(const Subscription& s) {
  json::object o;
  o["doc"] = s.doc;
  o["context"] = s.context;
  o["createdAt"] = s.createdAtMs;
  o["modifiedAt"] = s.modifiedAtMs;
  o["timesSent"] = s.stats.timesSent;
  o["timesFailed"] = s.stats.timesFailed;
  o["lastNotification"] = s.stats.lastNotificationMs;
  o["lastSuccess"] = s.stats.lastSuccessMs;
  o["lastFailure"] = s.stats.lastFailureMs;
  if (s.owner) {
    json::array principals;
    for (const auto& p : s.owner->principals) principals.emplace_back(p);
    o["owner"] = {{"subject", s.owner->subject}, {"client", s.owner->client}, {"principals", std::move(principals)}};
  }
  return json::serialize(o);
}

Subscription parseStoredSubscription(std::string_view id, std::string_view document, SubscriptionKind kind) {
  auto o = json::parse(document).as_object();
  Subscription s;
  s.kind = kind;
  s.id = std::string(id);
  s.doc = std::move(o["doc"].as_object());
  s.context = std::move(o["context"]);
  s.createdAtMs = o["createdAt"].to_number<int64_t>();
  s.modifiedAtMs = o["modifiedAt"].to_number<int64_t>();
  s.stats.timesSent = o["timesSent"].to_number<uint64_t>();
  s.stats.timesFailed = o["timesFailed"].to_number<uint64_t>();
  s.stats.lastNotificationMs = o["lastNotification"].to_number<int64_t>();
  s.stats.lastSuccessMs = o["lastSuccess"].to_number<int64_t>();
  s.stats.lastFailureMs = o["lastFailure"].to_number<int64_t>();
  if (auto* owner = o.if_contains("owner")) {
    const auto& w = owner->as_object();
    http::Caller c{std::string(w.at("subject").as_string()), std::string(w.at("client").as_string()), {}};
    for (const auto& p : w.at("principals").as_array()) c.principals.emplace_back(p.as_string());
    s.owner = std::make_shared<const http::Caller>(std::move(c));
  }
  return s;
}

}  // namespace allmende::subscriptions
