// The context source registrations of every tenant (clause 5.9): held in
// memory, each change persisted in the store (DocumentKind::Registration) and
// loaded again at start. Create and update enforce the rules that concern
// other registrations and local entities (clause 4.3.6.3, 5.9.2.4): an
// exclusive registration and an exclusive or redirect one may not cover the
// same attribute of the same entity, a redirect registration may not name an
// entity held locally, nor an exclusive one an attribute a local entity has;
// each such conflict is a Conflict error (409). Expired registrations
// (expiresAt passed) are gone for readers and deleted at the next change.
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "federation/registration.h"
#include "store/store.h"

namespace allmende::federation {

class Registry {
 public:
  explicit Registry(store::Store& store);

  // Called after each change, outside the registry's lock: before is null for
  // a new registration, after is null for a deleted one.
  using Listener = std::function<void(const std::string& tenant, const Registration* before,
                                      const Registration* after)>;
  void setListener(Listener listener);

  // Throws AlreadyExists for a taken id, Conflict for a conflict (see above).
  void create(const std::string& tenant, Registration r);
  // Throw ResourceNotFound for an unknown (or expired) id.
  Registration get(const std::string& tenant, std::string_view id) const;
  void update(const std::string& tenant, std::string_view id,
              const std::function<void(Registration&)>& change);
  void remove(const std::string& tenant, std::string_view id);
  // The tenant's live registrations in id order.
  std::vector<Registration> list(const std::string& tenant) const;

  // Records how a distributed operation sent to the registration's source
  // went (clause 5.2.9 status, timesSent, ...). After a failure (no answer,
  // a timeout, a 5xx) the source is not asked again for its cooldown
  // (management.cooldown; none without it). Kept in memory; stored with the
  // registration's next change.
  void report(const std::string& tenant, std::string_view id, bool ok, int64_t nowMs);

  // A registration another broker sharing the store created, changed
  // (`document`: its stored form) or deleted (nullopt); that broker told the
  // listeners.
  void reload(const std::string& tenant, const std::string& id, const std::optional<std::string>& document);

 private:
  using Registrations = std::map<std::string, Registration, std::less<>>;
  // Throws AlreadyExists if r conflicts with another registration of the tenant or a local entity.
  void checkConflicts(const std::string& tenant, const Registrations& others,
                      const Registration& r) const;
  // Deletes the tenant's expired registrations (mutex_ held); returns them.
  std::vector<Registration> dropExpired(const std::string& tenant, int64_t nowMs);
  void notify(const std::string& tenant, const Registration* before,
              const Registration* after) const;

  store::Store& store_;
  mutable std::mutex mutex_;
  std::map<std::string, Registrations, std::less<>> tenants_;
  Listener listener_;
};

}  // namespace allmende::federation
