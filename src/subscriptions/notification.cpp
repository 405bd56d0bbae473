// Building a notification: the changed entity rendered as the subscription
// asks (ngsi/render.h), removed attributes added back as NGSI-LD nulls.
#include "subscriptions/notification.h"

#include "jsonld/core_context.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/render.h"
#include "ngsi/syntax.h"

namespace allmende::subscriptions {

namespace json = boost::json;

namespace {

constexpr std::string_view kNull = "urn:ngsi-ld:null";

bool keyValues(const NotificationShape& s) { return s.format == "keyValues" || s.format == "simplified"; }

// An attribute instance that no longer exists, in the notification's format.
json::value nullInstance(const NotificationShape& shape, const json::object& was, int64_t now) {
  if (keyValues(shape)) return json::string(kNull);
  auto kind = ngsi::kindFromName(was.at("type").get_string()).value_or(ngsi::AttributeKind::Property);
  json::object o;
  o["type"] = was.at("type");
  if (kind == ngsi::AttributeKind::LanguageProperty)
    o["languageMap"] = json::object{{"@none", kNull}};
  else
    o[ngsi::valueMember(kind)] = kNull;
  if (auto* d = was.if_contains(ngsi::key::datasetId)) o["datasetId"] = *d;
  if (shape.sysAttrs) {
    for (auto member : {ngsi::key::createdAt, ngsi::key::modifiedAt})
      if (auto* t = was.if_contains(member); t && t->is_int64()) o[member] = ngsi::formatDateTime(t->get_int64());
    o["deletedAt"] = ngsi::formatDateTime(now);
  }
  return o;
}

// Whether the notification shows this attribute (attributes, pick, omit).
bool wanted(const NotificationShape& shape, const std::string& iri) {
  if (shape.attributes && !shape.attributes->contains(iri)) return false;
  if (!shape.pick && !shape.omit) return true;
  auto name = shape.ctx->compact(iri);
  return (!shape.pick || shape.pick->names.contains(name)) && !(shape.omit && shape.omit->names.contains(name));
}

// The instances of `before` that `after` no longer has (all of them when the attribute is gone).
json::array removedInstances(const json::array& before, const json::value* after) {
  json::array out;
  for (const auto& b : before) {
    auto* ds = b.get_object().if_contains(ngsi::key::datasetId);
    bool kept = false;
    if (after)
      for (const auto& a : after->get_array()) {
        auto* ads = a.get_object().if_contains(ngsi::key::datasetId);
        kept = kept || (ds ? ads && *ads == *ds : !ads);
      }
    if (!kept) out.push_back(b);
  }
  return out;
}

constexpr std::string_view kValueMembers[] = {"value", "object", "languageMap", "json", "vocab", "valueList",
                                              "objectList"};

// showChanges: "previousValue" (previousObject, ...) on an instance whose value changed.
void addPreviousInstance(json::object& now, const json::object& was) {
  for (auto member : kValueMembers) {
    auto* w = was.if_contains(member);
    if (!w) continue;
    auto* n = now.if_contains(member);
    if (!n || *n != *w) {
      std::string name = "previous" + std::string(member);
      name[8] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[8])));
      now[name] = *w;
    }
    return;
  }
}

// Pairs the instances of a rendered attribute (object or array) by datasetId.
void addPrevious(json::value& now, const json::value& was) {
  auto instances = [](json::value& v) {
    std::vector<json::object*> out;
    if (v.is_object()) out.push_back(&v.get_object());
    if (v.is_array())
      for (auto& i : v.get_array())
        if (i.is_object()) out.push_back(&i.get_object());
    return out;
  };
  json::value wasCopy = was;
  for (auto* n : instances(now))
    for (auto* w : instances(wasCopy))
      if (n->if_contains("datasetId") == nullptr ? !w->contains("datasetId")
                                                 : w->contains("datasetId") && w->at("datasetId") == n->at("datasetId"))
        addPreviousInstance(*n, *w);
}

bool isEntityMember(std::string_view name) {
  return name == "id" || name == "type" || name == "scope" || name == "createdAt" || name == "modifiedAt" ||
         name == "deletedAt" || name == "expiresAt" || name == "@context";
}

// The entity of a change as the shape asks, deleted attributes and instances as
// nulls; with join=flat, the entities it links to are added to `linked`.
json::object renderEntityChange(const NotificationShape& shape, const store::Store::Change& change, int64_t now,
                                const ngsi::EntityReader& read, json::array& linked) {
  ngsi::RenderOptions options;
  options.format = shape.format == "concise" ? ngsi::Format::Concise
                   : keyValues(shape)        ? ngsi::Format::Simplified
                                             : ngsi::Format::Normalized;
  options.sysAttrs = shape.sysAttrs;
  options.attrs = shape.attributes;
  options.pick = shape.pick;
  options.omit = shape.omit;
  options.datasetIds = shape.datasetIds;
  options.lang = shape.lang;
  options.now = now;
  const auto& ctx = *shape.ctx;
  if (!change.after) {
    // The entity is gone: its id, type and deletedAt, and the watched attributes as nulls.
    const auto& before = *change.before;
    json::object out;
    out["id"] = before.at(ngsi::key::id);
    json::array types;
    for (const auto& t : before.at(ngsi::key::type).get_array()) types.emplace_back(ctx.compact(t.get_string()));
    out["type"] = types.size() == 1 ? json::value(types[0]) : json::value(types);
    if (shape.sysAttrs) {
      auto full = ngsi::renderEntity(before, ctx, options);
      if (auto* c = full.if_contains("createdAt")) out["createdAt"] = *c;
      if (auto* m = full.if_contains("modifiedAt")) out["modifiedAt"] = *m;
    }
    out["deletedAt"] = ngsi::formatDateTime(now);
    const auto& attrs = before.at(ngsi::key::attrs).get_object();
    if (shape.showChanges) {
      // Every attribute as a null with its previous value.
      auto was = ngsi::renderEntity(before, ctx, options);
      for (const auto& [iri, instances] : attrs) {
        if (!wanted(shape, std::string(iri))) continue;
        std::string name = ctx.compact(iri);
        json::value gone = nullInstance(shape, instances.get_array()[0].get_object(), now);
        if (auto* w = was.if_contains(name)) addPrevious(gone, w->is_array() ? w->get_array()[0] : *w);
        out[name] = std::move(gone);
      }
      return out;
    }
    for (const auto& w : shape.watched)
      if (auto* instances = attrs.if_contains(w); instances && wanted(shape, w))
        out[ctx.compact(w)] = nullInstance(shape, instances->get_array()[0].get_object(), now);
    return out;
  }
  auto joined = ngsi::renderJoined(*change.after, ctx, options, shape.join, read);
  if (joined.is_array()) {  // flat: the entity first, then what it links to
    auto& all = joined.get_array();
    for (size_t i = 1; i < all.size(); ++i) linked.push_back(std::move(all[i]));
    joined = std::move(all[0]);
  }
  auto out = std::move(joined.get_object());
  if (change.before) {
    const auto& before = change.before->at(ngsi::key::attrs).get_object();
    const auto& after = change.after->at(ngsi::key::attrs).get_object();
    for (const auto& [iri, instances] : before) {
      if (!wanted(shape, std::string(iri))) continue;
      auto removed = removedInstances(instances.get_array(), after.if_contains(iri));
      if (removed.empty()) continue;
      std::string name = ctx.compact(iri);
      if (!after.contains(iri)) {  // the attribute is gone (deleteAll too): one null
        out[name] = nullInstance(shape, removed[0].get_object(), now);
        continue;
      }
      if (keyValues(shape)) {
        // Simplified: {"dataset": {"<datasetId>" | "@none": value}}, the removed ones as nulls.
        auto& shown = out[name];
        if (!shown.is_object() || !shown.get_object().contains("dataset")) {
          const auto& kept = after.at(iri).get_array()[0].get_object();
          auto* ds = kept.if_contains(ngsi::key::datasetId);
          shown = json::object{{"dataset", json::object{{ds ? ds->get_string() : "@none", shown}}}};
        }
        auto& dataset = shown.get_object()["dataset"].get_object();
        for (const auto& r : removed) {
          auto* ds = r.get_object().if_contains(ngsi::key::datasetId);
          dataset[ds ? ds->get_string() : "@none"] = kNull;
        }
        continue;
      }
      json::array all;
      if (auto* present = out.if_contains(name)) {
        if (present->is_array())
          all = present->get_array();
        else
          all.push_back(*present);
      }
      for (const auto& r : removed) all.push_back(nullInstance(shape, r.get_object(), now));
      out[name] = all.size() == 1 ? all[0] : json::value(all);
    }
    if (shape.showChanges) {
      auto was = ngsi::renderEntity(*change.before, ctx, options);
      for (auto& [name, value] : out)
        if (!isEntityMember(name))
          if (auto* w = was.if_contains(name); w && *w != value) addPrevious(value, *w);
    }
  }
  return out;
}

}  // namespace

json::array renderChange(const NotificationShape& shape, const store::Store::Change& change, int64_t now,
                         const ngsi::EntityReader& read) {
  json::array linked;
  auto rendered = renderEntityChange(shape, change, now, read, linked);
  json::array out;
  if (shape.accept != "application/geo+json") {
    out.push_back(std::move(rendered));
  } else {
    auto geometry = change.after ? ngsi::featureGeometry(*change.after, shape.ctx->expand("location"), now) : json::value();
    out.push_back(ngsi::asFeature(std::move(rendered), std::move(geometry)));
  }
  for (auto& l : linked) out.push_back(std::move(l));
  return out;
}

NotificationShape compileShape(const Subscription& s, jsonld::ContextPtr ctx, json::value contextValue,
                               const jsonld::Context& subscriptionCtx) {
  NotificationShape shape;
  const auto& n = s.doc.at("notification").get_object();
  const auto& e = n.at("endpoint").get_object();
  shape.endpoint = std::string(e.at("uri").get_string());
  if (auto* a = e.if_contains("accept")) shape.accept = std::string(a->get_string());
  if (auto* r = e.if_contains("receiverInfo"))
    for (const auto& p : r->get_array())
      shape.headers.emplace_back(std::string(p.at("key").get_string()), std::string(p.at("value").get_string()));
  if (auto* info = e.if_contains("notifierInfo"))
    for (const auto& p : info->get_array()) {
      std::string_view key = p.at("key").get_string(), value = p.at("value").get_string();
      if (key == "MQTT-QoS") shape.mqttQos = value[0] - '0';
      if (key == "MQTT-Version") shape.mqtt5 = value == "mqtt5.0";
    }
  shape.ctx = std::move(ctx);
  shape.contextValue = contextValue.is_null() ? json::value(jsonld::kCoreContextUrl) : std::move(contextValue);
  if (auto* f = n.if_contains("format")) shape.format = std::string(f->get_string());
  if (auto* b = n.if_contains("sysAttrs")) shape.sysAttrs = b->get_bool();
  if (auto* b = n.if_contains("showChanges")) shape.showChanges = b->get_bool();
  if (auto* j = n.if_contains("join"))
    shape.join.kind = j->get_string() == "flat"     ? ngsi::Join::Kind::Flat
                      : j->get_string() == "inline" ? ngsi::Join::Kind::Inline
                                                    : ngsi::Join::Kind::None;
  if (auto* l = n.if_contains("joinLevel")) shape.join.level = static_cast<int>(l->get_int64());
  if (auto* a = n.if_contains("attributes")) {
    shape.attributes.emplace();
    for (const auto& v : a->get_array()) shape.attributes->insert(std::string(v.get_string()));
  }
  for (auto [member, projection] : {std::pair{"pick", &shape.pick}, std::pair{"omit", &shape.omit}}) {
    auto* names = n.if_contains(member);
    if (!names) continue;
    projection->emplace();
    for (const auto& v : names->get_array()) {
      std::string_view name = v.get_string();
      bool entityMember = name == "id" || name == "type" || name == "scope";
      (*projection)->names.insert(entityMember ? std::string(name) : shape.ctx->compact(subscriptionCtx.expand(name)));
    }
  }
  if (auto* d = s.doc.if_contains("datasetId")) {
    shape.datasetIds.emplace();
    for (const auto& v : d->get_array()) shape.datasetIds->insert(std::string(v.get_string()));
  }
  if (auto* l = s.doc.if_contains("lang")) shape.lang = std::string(l->get_string());
  if (auto* w = s.doc.if_contains("watchedAttributes"))
    for (const auto& v : w->get_array()) shape.watched.insert(std::string(v.get_string()));
  return shape;
}

NotificationRequest buildNotification(const NotificationShape& shape, std::string_view subscriptionId,
                                      json::array data, std::string_view triggerReason) {
  NotificationRequest req;
  if (!triggerReason.empty()) {
    req.kind = SubscriptionKind::Registrations;
    req.triggerReason = triggerReason;
  }
  req.url = shape.endpoint;
  req.mqttQos = shape.mqttQos;
  req.mqtt5 = shape.mqtt5;
  req.id = ngsi::randomUrn("Notification");
  req.subscriptionId = subscriptionId;
  if (shape.accept == "application/geo+json") {
    // One FeatureCollection carries the entities (as Features) and the @context.
    req.geoContext = json::serialize(shape.contextValue);
    req.headers.emplace_back("Content-Type", "application/geo+json");
  } else if (shape.accept == "application/ld+json") {
    for (auto& d : data) d.get_object()["@context"] = shape.contextValue;
    req.headers.emplace_back("Content-Type", "application/ld+json");
  } else {
    const auto& c = shape.contextValue;
    std::string url = c.is_string() ? std::string(c.get_string())
                      : c.is_array() && c.get_array().size() == 1 && c.get_array()[0].is_string()
                          ? std::string(c.get_array()[0].get_string())
                          : std::string(jsonld::kCoreContextUrl);
    req.headers.emplace_back("Content-Type", "application/json");
    req.headers.emplace_back("Link", "<" + url + ">; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
  }
  for (const auto& h : shape.headers) req.headers.push_back(h);
  for (const auto& d : data) {
    if (req.count++) req.entities += ',';
    req.entities += json::serialize(d);
  }
  return req;
}

std::string NotificationRequest::body(int64_t nowMs) const {
  std::string out;
  out.reserve(entities.size() + geoContext.size() + 200);
  out += R"({"id":)";
  out += json::serialize(json::string(id));
  out += kind == SubscriptionKind::Entities ? R"(,"type":"Notification","subscriptionId":)"
                                            : R"(,"type":"ContextSourceNotification","subscriptionId":)";
  out += json::serialize(json::string(subscriptionId));
  out += R"(,"notifiedAt":")";
  out += ngsi::formatDateTime(nowMs);
  if (!triggerReason.empty()) out += R"(","triggerReason":")" + triggerReason;
  out += geoContext.empty() ? R"(","data":[)" : R"(","data":{"type":"FeatureCollection","features":[)";
  out += entities;
  out += ']';
  if (!geoContext.empty()) out += R"(,"@context":)" + geoContext + '}';
  out += '}';
  return out;
}

void NotificationRequest::append(const NotificationRequest& later) {
  if (!later.count) return;
  if (count) entities += ',';
  entities += later.entities;
  count += later.count;
}

}  // namespace allmende::subscriptions
