// The access grants of all tenants (auth/grant.h): made and withdrawn through
// the admin API, persisted in the store (broker-wide documents), in force
// from the next request on; and the Access of a caller in a tenant from them.
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "auth/access.h"
#include "auth/grant.h"
#include "http/message.h"
#include "store/store.h"

namespace allmende::auth {

class Policy {
 public:
  explicit Policy(store::Store& store);  // reads the stored grants

  // Stores a new grant (its tenant, createdBy and createdAt set), giving it its id.
  Grant add(Grant grant);
  std::vector<Grant> list(std::string_view tenant) const;
  std::optional<Grant> get(std::string_view tenant, std::string_view id) const;
  bool remove(std::string_view tenant, std::string_view id);  // false if there is no such grant
  // A grant another broker sharing the store made (its stored form) or removed (nullopt).
  void reload(const std::string& id, const std::optional<std::string>& document);

  // What the caller (null: anonymous, without credentials) may do in the tenant.
  std::shared_ptr<const Access> access(const http::Caller* caller, std::string_view tenant) const;
  // True if the tenant grants something to anyone (then a request without
  // credentials is served, as anonymous).
  bool open(std::string_view tenant) const;

 private:
  using ByPrincipal = std::map<std::string, std::vector<std::shared_ptr<const Grant>>, std::less<>>;
  void index(std::shared_ptr<const Grant> grant);  // under the lock

  store::Store& store_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, ByPrincipal, std::less<>> byTenant_;
};

}  // namespace allmende::auth
