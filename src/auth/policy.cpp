// The grants, by tenant and principal, and their persistence.
#include "auth/policy.h"

#include <mutex>

#include <openssl/rand.h>
#include <boost/json.hpp>

#include "auth/base64url.h"
#include "ngsi/datetime.h"

namespace allmende::auth {

namespace json = boost::json;

namespace {

std::string identity(std::string_view name) {
  return std::string(name);
}

std::string newId() {
  unsigned char raw[12];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("no random bytes for a grant id");
  return "urn:allmende:Grant:" +
         base64UrlEncode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

// The stored document: the JSON form with names expanded, plus the tenant.
std::string document(const Grant& g) {
  auto o = grantJson(g, identity);
  o["tenant"] = g.tenant;
  return json::serialize(o);
}

Grant parseStored(const std::string& document) {
  auto o = json::parse(document).as_object();
  auto g = parseGrant(o, identity);
  g.id = std::string(o.at("id").as_string());
  g.tenant = std::string(o.at("tenant").as_string());
  g.createdBy = std::string(o.at("createdBy").as_string());
  g.createdAtMs = ngsi::parseDateTime(o.at("createdAt").as_string()).value_or(0);
  return g;
}

}  // namespace

Policy::Policy(store::Store& store) : store_(store) {
  for (const auto& d : store_.documents(store::DocumentKind::Grant))
    index(std::make_shared<const Grant>(parseStored(d.document)));
}

void Policy::reload(const std::string& id, const std::optional<std::string>& document) {
  std::unique_lock lock(mutex_);
  for (auto& [tenant, byPrincipal] : byTenant_)
    for (auto& [principal, grants] : byPrincipal)
      std::erase_if(grants, [&id](const auto& g) { return g->id == id; });
  if (document) index(std::make_shared<const Grant>(parseStored(*document)));
}

void Policy::index(std::shared_ptr<const Grant> grant) {
  auto& byPrincipal = byTenant_[grant->tenant];
  byPrincipal[grant->to].push_back(std::move(grant));
}

Grant Policy::add(Grant grant) {
  grant.id = newId();
  std::unique_lock lock(mutex_);
  store_.putDocument(store::DocumentKind::Grant,
                     {"", grant.id, document(grant)});  // durable before in force
  index(std::make_shared<const Grant>(grant));
  return grant;
}

std::vector<Grant> Policy::list(std::string_view tenant) const {
  std::shared_lock lock(mutex_);
  std::vector<Grant> out;
  if (auto t = byTenant_.find(tenant); t != byTenant_.end())
    for (const auto& [_, grants] : t->second)
      for (const auto& g : grants) out.push_back(*g);
  std::sort(out.begin(), out.end(), [](const Grant& a, const Grant& b) {
    return a.createdAtMs < b.createdAtMs || (a.createdAtMs == b.createdAtMs && a.id < b.id);
  });
  return out;
}

std::optional<Grant> Policy::get(std::string_view tenant, std::string_view id) const {
  for (auto& g : list(tenant))
    if (g.id == id) return g;
  return std::nullopt;
}

bool Policy::remove(std::string_view tenant, std::string_view id) {
  std::unique_lock lock(mutex_);
  auto t = byTenant_.find(tenant);
  if (t == byTenant_.end()) return false;
  for (auto& [principal, grants] : t->second)
    for (auto it = grants.begin(); it != grants.end(); ++it)
      if ((*it)->id == id) {
        store_.deleteDocument(store::DocumentKind::Grant, "", id);
        grants.erase(it);
        return true;
      }
  return false;
}

std::shared_ptr<const Access> Policy::access(const http::Caller* caller,
                                             std::string_view tenant) const {
  std::vector<std::shared_ptr<const Grant>> grants;
  std::shared_lock lock(mutex_);
  auto t = byTenant_.find(tenant);
  if (t != byTenant_.end()) {
    auto add = [&](std::string_view principal) {
      if (auto p = t->second.find(principal); p != t->second.end())
        grants.insert(grants.end(), p->second.begin(), p->second.end());
    };
    add("anyone");
    if (caller)
      for (const auto& p : caller->principals) add(p);
  }
  return std::make_shared<const Access>(std::move(grants));
}

bool Policy::open(std::string_view tenant) const {
  std::shared_lock lock(mutex_);
  auto t = byTenant_.find(tenant);
  if (t == byTenant_.end()) return false;
  auto p = t->second.find("anyone");
  return p != t->second.end() &&
         std::any_of(p->second.begin(), p->second.end(), [](const auto& g) { return !g->deny; });
}

}  // namespace allmende::auth
