// What one caller may do in one tenant: the grants given to its principals
// there, combined (docs/security.md): an entity is readable when an allow
// grant of any role is about it, an attribute visible when such a grant does
// not hide it; an entity or attribute is writable alike through writer and
// admin grants (less their hidden and read-only attributes). An explicit deny
// about the entity wins over every allow: a reader deny hides the entity (or
// its `attrs`), a writer deny makes it (or them) read-only. Immutable.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "auth/grant.h"

namespace allmende::auth {

class Access {
 public:
  // May do everything (authentication off, the broker's admin).
  static std::shared_ptr<const Access> everything();
  explicit Access(std::vector<std::shared_ptr<const Grant>> grants);

  // True if nothing is checked (everything()).
  bool unlimited() const { return unlimited_; }
  // True if the caller is an admin of the tenant (manages its grants, sees
  // every subscription).
  bool isAdmin() const;
  // True if some allow grant of at least that role holds (whatever it is
  // about), and no deny takes that role away wholly.
  bool hasRole(Role role) const;

  // Reading. readsEverything(): every entity and attribute is visible, so
  // nothing needs to be checked per entity.
  bool readsEverything() const { return readsEverything_; }
  bool mayRead(const boost::json::object& entity) const;
  // True if the attribute (IRI) of a readable entity is visible.
  bool sees(const boost::json::object& entity, std::string_view attribute) const;
  // True if some attribute of a readable entity is hidden from the caller.
  bool hidesSome(const boost::json::object& entity) const;
  // Removes the attributes the caller may not see from a readable entity
  // (internal form); true if it removed any.
  bool stripHidden(boost::json::object& entity) const;

  // Writing: ResourceNotFound if `before` exists but is not readable; Forbidden
  // if the change (create: before null; delete: after null) touches an entity
  // or attribute the caller may not change, or makes an entity outside its grants.
  void checkWrite(std::string_view id, const boost::json::object* before,
                  const boost::json::object* after) const;
  bool writesEverything() const { return writesEverything_; }
  // A change of the attributes `names` (IRIs) of an existing entity made
  // outside the entity's state (its history): ResourceNotFound or Forbidden as
  // checkWrite says.
  void checkAttributes(std::string_view id, const boost::json::object& entity,
                       const std::vector<std::string>& names) const;

 private:
  Access() = default;
  bool writable(const boost::json::object& entity) const;
  bool writable(const boost::json::object& entity, std::string_view attribute) const;
  // Forbidden for an attribute of the entity the caller may not change (not
  // named when the caller may not see it either).
  [[noreturn]] void refuseAttribute(std::string_view id, const boost::json::object& entity,
                                    std::string_view attribute) const;

  std::vector<std::shared_ptr<const Grant>> grants_;
  bool unlimited_ = false;
  bool readsEverything_ = false;
  bool writesEverything_ = false;
};

}  // namespace allmende::auth
