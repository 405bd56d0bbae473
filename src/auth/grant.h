// One access grant of a tenant (docs/security.md): a role given to a
// principal (a token subject, a token claim, an API key, any authenticated
// caller, anyone), optionally narrowed to entities (by type, id pattern and
// scope) and attributes (hidden, read-only), or an explicit deny that takes a
// role (or, with attrs, some attributes) away. Names are kept expanded; the
// admin API compacts them with the request's @context.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "query/q.h"

namespace re2 {
class RE2;
}

namespace allmende::auth {

enum class Role { Reader = 1, Writer = 2, Admin = 3 };

struct Grant {
  std::string id;      // urn:allmende:Grant:<random>
  std::string tenant;  // "" = the default tenant
  std::string to;      // the principal (http::Caller::principals)
  Role role = Role::Reader;
  bool deny = false;
  // The entities it is about (all when none is given).
  std::vector<std::string> types;  // any of them (expanded)
  std::string idPattern;           // searched in the id, as the idPattern of queries
  std::shared_ptr<re2::RE2> idRegex;
  std::string scopeQ;
  query::ExprPtr scopeExpr;
  // Allow grants: attributes not seen, or not changed, through this grant.
  std::vector<std::string> hiddenAttrs;
  std::vector<std::string> readOnlyAttrs;
  // Deny grants: only these attributes (empty: the whole entity).
  std::vector<std::string> attrs;
  std::string createdBy;
  int64_t createdAtMs = 0;

  bool targetsAll() const { return types.empty() && !idRegex && !scopeExpr; }
  // True if the (stored, expanded) entity is one the grant is about.
  bool targets(const boost::json::object& entity) const;
};

// A grant from its JSON form (the admin API's body, or a stored document, whose
// names are expanded already): members to, role, effect, entityTypes,
// idPattern, scopeQ, hiddenAttrs, readOnlyAttrs, attrs. `expand` expands type
// and attribute names. Throws BadRequestData naming what is wrong. id, tenant,
// createdBy and createdAt are left to the caller.
Grant parseGrant(const boost::json::object& body,
                 const std::function<std::string(std::string_view)>& expand);

// The JSON form, names compacted with `compact` (for storing: unchanged).
boost::json::object grantJson(const Grant& g,
                              const std::function<std::string(std::string_view)>& compact);

}  // namespace allmende::auth
