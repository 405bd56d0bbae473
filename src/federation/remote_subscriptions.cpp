// The copies of subscriptions at context sources, and what a copy holds.
#include "federation/remote_subscriptions.h"

#include <random>

namespace allmende::federation {

namespace json = boost::json;

namespace {

constexpr auto kKind = store::DocumentKind::RemoteSubscription;
constexpr std::string_view kWatchPrefix = "urn:ngsi-ld:Subscription:distsub-watch:";

std::string serialize(const RemoteCopy& c) {
  return json::serialize(json::object{{"subscriptionId", c.subscriptionId},
                                      {"registrationId", c.registrationId},
                                      {"base", c.base},
                                      {"sourceTenant", c.sourceTenant}});
}

}  // namespace

RemoteCopies::RemoteCopies(store::Store& store) : store_(store) {
  for (const auto& stored : store_.documents(kKind)) reload(stored.tenant, stored.id, stored.document);
}

void RemoteCopies::reload(const std::string& tenant, const std::string& id,
                          const std::optional<std::string>& document) {
  std::lock_guard lock(mutex_);
  byId_.erase(id);
  if (!document) return;
  json::error_code ec;
  auto doc = json::parse(*document, ec);
  if (ec || !doc.is_object()) return;
  const auto& o = doc.get_object();
  auto text = [&o](std::string_view m) {
    auto* v = o.if_contains(m);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  byId_[id] = {id, tenant, text("subscriptionId"), text("registrationId"), text("base"), text("sourceTenant")};
}

void RemoteCopies::add(const RemoteCopy& copy) {
  std::lock_guard lock(mutex_);
  store_.putDocument(kKind, {copy.tenant, copy.id, serialize(copy)});
  byId_[copy.id] = copy;
}

std::optional<RemoteCopy> RemoteCopies::find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  auto it = byId_.find(id);
  if (it == byId_.end()) return std::nullopt;
  return it->second;
}

std::vector<RemoteCopy> RemoteCopies::of(std::string_view tenant, std::string_view subscriptionId) const {
  std::lock_guard lock(mutex_);
  std::vector<RemoteCopy> out;
  for (const auto& [_, c] : byId_)
    if (c.tenant == tenant && c.subscriptionId == subscriptionId) out.push_back(c);
  return out;
}

void RemoteCopies::remove(const RemoteCopy& copy) {
  std::lock_guard lock(mutex_);
  if (byId_.erase(copy.id)) store_.deleteDocument(kKind, copy.tenant, copy.id);
}

std::string newCopyId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%08llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng() & 0xffffffff));
  return "urn:ngsi-ld:Subscription:distsub-" + std::string(buf);
}

std::string watchId(std::string_view subscriptionId) { return std::string(kWatchPrefix) + std::string(subscriptionId); }

std::optional<std::string> watchedSubscription(std::string_view id) {
  if (!id.starts_with(kWatchPrefix)) return std::nullopt;
  return std::string(id.substr(kWatchPrefix.size()));
}

json::object reducedCopy(const subscriptions::Subscription& s, const std::string& copyId,
                         const json::object& endpoint, const std::set<std::string>& attributes) {
  json::object out;
  if (!copyId.empty()) {
    out["id"] = copyId;
    out["type"] = "Subscription";
  }
  bool split = false;
  if (auto* v = s.doc.if_contains("splitEntities"); v && v->is_bool()) split = v->get_bool();
  for (std::string_view member :
       {"entities", "watchedAttributes", "q", "geoQ", "scopeQ", "notificationTrigger", "isActive", "expiresAt",
        "throttling", "timeInterval", "datasetId", "lang", "splitEntities"}) {
    if (member == "q" && split) continue;  // the query is checked here, on the merged entity (5.8.6)
    if (auto* v = s.doc.if_contains(member)) out[member] = *v;
  }
  if (!attributes.empty() && !out.contains("timeInterval")) {  // only what the source holds is watched there
    json::array watched;
    if (auto* w = out.if_contains("watchedAttributes"); w && w->is_array()) {
      for (const auto& a : w->get_array())
        if (a.is_string() && attributes.contains(std::string(a.get_string()))) watched.push_back(a);
    } else {
      for (const auto& a : attributes) watched.emplace_back(a);
    }
    out["watchedAttributes"] = std::move(watched);
  }
  json::object notification{{"format", "normalized"}, {"endpoint", endpoint}};
  if (auto* n = s.doc.if_contains("notification"); n && n->is_object())
    if (auto* a = n->get_object().if_contains("attributes")) notification["attributes"] = *a;
  out["notification"] = std::move(notification);
  return out;
}

json::object watchSubscription(const subscriptions::Subscription& s, const json::object& endpoint) {
  json::object out{{"id", watchId(s.id)}, {"type", "Subscription"}};
  for (std::string_view member : {"entities", "watchedAttributes"})
    if (auto* v = s.doc.if_contains(member)) out[member] = *v;
  out["notification"] = json::object{{"endpoint", endpoint}};
  return out;
}

}  // namespace allmende::federation
