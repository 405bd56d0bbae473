// Access grants: their JSON form, checked member by member, and which
// entities a grant is about.
#include "auth/grant.h"

#include <re2/re2.h>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "query/entity_selector.h"

namespace allmende::auth {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kRoles[] = {"", "reader", "writer", "admin"};

// "sub:<x>", "claim:<name>=<value>", "apikey:<id>", "authenticated" or "anyone".
void checkPrincipal(std::string_view to) {
  auto after = [&](std::string_view prefix) {
    return to.starts_with(prefix) && to.size() > prefix.size();
  };
  bool ok = to == "anyone" || to == "authenticated" || after("sub:") || after("apikey:") ||
            (after("claim:") && to.find('=') != std::string_view::npos && to.find('=') > 6);
  if (!ok)
    fail(ErrorType::BadRequestData,
         "a grant's 'to' must be 'sub:<token subject>', 'claim:<claim>=<value>', 'apikey:<API key "
         "id>', "
         "'authenticated' or 'anyone', not '" +
             std::string(to) + "'");
}

std::vector<std::string> names(const json::object& body, std::string_view member,
                               const std::function<std::string(std::string_view)>& expand) {
  std::vector<std::string> out;
  auto* v = body.if_contains(member);
  if (!v) return out;
  if (!v->is_array() || v->get_array().empty())
    fail(ErrorType::BadRequestData,
         "a grant's '" + std::string(member) + "' must be a non-empty array of names");
  for (const auto& n : v->get_array()) {
    if (!n.is_string() || n.get_string().empty())
      fail(ErrorType::BadRequestData,
           "a grant's '" + std::string(member) + "' holds something that is not a name");
    out.push_back(expand(n.get_string()));
  }
  return out;
}

std::string text(const json::object& body, std::string_view member) {
  auto* v = body.if_contains(member);
  if (!v) return {};
  if (!v->is_string() || v->get_string().empty())
    fail(ErrorType::BadRequestData,
         "a grant's '" + std::string(member) + "' must be a non-empty string");
  return std::string(v->get_string());
}

json::array compacted(const std::vector<std::string>& iris,
                      const std::function<std::string(std::string_view)>& compact) {
  json::array out;
  for (const auto& i : iris) out.emplace_back(compact(i));
  return out;
}

}  // namespace

Grant parseGrant(const json::object& body,
                 const std::function<std::string(std::string_view)>& expand) {
  static constexpr std::string_view kMembers[] = {
      "id",          "type",      "tenant",  "to",          "role",          "effect",
      "entityTypes", "idPattern", "scopeQ",  "hiddenAttrs", "readOnlyAttrs", "attrs",
      "createdBy",   "createdAt", "@context"};
  for (const auto& [member, _] : body)
    if (std::find(std::begin(kMembers), std::end(kMembers), member) == std::end(kMembers))
      fail(ErrorType::BadRequestData, "a grant has no member '" + std::string(member) + "'");
  Grant g;
  g.to = text(body, "to");
  checkPrincipal(g.to);
  auto role = text(body, "role");
  auto r = std::find(std::begin(kRoles) + 1, std::end(kRoles), role);
  if (r == std::end(kRoles))
    fail(ErrorType::BadRequestData, "a grant's role must be reader, writer or admin");
  g.role = static_cast<Role>(r - std::begin(kRoles));
  auto effect = text(body, "effect");
  if (!effect.empty() && effect != "allow" && effect != "deny")
    fail(ErrorType::BadRequestData, "a grant's effect must be allow (the default) or deny");
  g.deny = effect == "deny";
  g.types = names(body, "entityTypes", expand);
  g.idPattern = text(body, "idPattern");
  if (!g.idPattern.empty()) g.idRegex = query::compileIdPattern(g.idPattern);
  g.scopeQ = text(body, "scopeQ");
  if (!g.scopeQ.empty()) g.scopeExpr = query::parseScopeQ(g.scopeQ);
  g.hiddenAttrs = names(body, "hiddenAttrs", expand);
  g.readOnlyAttrs = names(body, "readOnlyAttrs", expand);
  g.attrs = names(body, "attrs", expand);
  if (g.deny && (!g.hiddenAttrs.empty() || !g.readOnlyAttrs.empty()))
    fail(ErrorType::BadRequestData,
         "a deny grant names the attributes it denies in 'attrs', not in hiddenAttrs or "
         "readOnlyAttrs");
  if (!g.deny && !g.attrs.empty())
    fail(ErrorType::BadRequestData,
         "'attrs' belongs to deny grants; an allow grant narrows with hiddenAttrs and "
         "readOnlyAttrs");
  if (!g.readOnlyAttrs.empty() && g.role == Role::Reader)
    fail(ErrorType::BadRequestData,
         "readOnlyAttrs narrows a writer or admin grant; a reader changes nothing anyway");
  if (g.role == Role::Admin &&
      (!g.targetsAll() || !g.hiddenAttrs.empty() || !g.readOnlyAttrs.empty() || !g.attrs.empty()))
    fail(ErrorType::BadRequestData,
         "an admin grant is about the whole tenant: it takes no entityTypes, idPattern, scopeQ or "
         "attributes");
  if (g.to == "anyone" && !g.deny && g.role != Role::Reader)
    fail(ErrorType::BadRequestData,
         "anyone (callers without a token) may only be granted the reader role");
  return g;
}

json::object grantJson(const Grant& g,
                       const std::function<std::string(std::string_view)>& compact) {
  json::object o{{"id", g.id},
                 {"type", "Grant"},
                 {"to", g.to},
                 {"role", kRoles[static_cast<int>(g.role)]},
                 {"effect", g.deny ? "deny" : "allow"}};
  if (!g.types.empty()) o["entityTypes"] = compacted(g.types, compact);
  if (!g.idPattern.empty()) o["idPattern"] = g.idPattern;
  if (!g.scopeQ.empty()) o["scopeQ"] = g.scopeQ;
  if (!g.hiddenAttrs.empty()) o["hiddenAttrs"] = compacted(g.hiddenAttrs, compact);
  if (!g.readOnlyAttrs.empty()) o["readOnlyAttrs"] = compacted(g.readOnlyAttrs, compact);
  if (!g.attrs.empty()) o["attrs"] = compacted(g.attrs, compact);
  o["createdBy"] = g.createdBy;
  o["createdAt"] = ngsi::formatDateTime(g.createdAtMs);
  return o;
}

bool Grant::targets(const json::object& entity) const {
  if (!types.empty()) {
    const auto* t = entity.if_contains(ngsi::key::type);
    auto has = [&](const json::value& v) {
      return v.is_string() && std::find(types.begin(), types.end(), v.get_string()) != types.end();
    };
    bool any = t && (t->is_array() ? std::any_of(t->get_array().begin(), t->get_array().end(), has)
                                   : has(*t));
    if (!any) return false;
  }
  if (idRegex) {
    const auto* idValue = entity.if_contains(ngsi::key::id);
    std::string_view id =
        idValue && idValue->is_string() ? std::string_view(idValue->get_string()) : "";
    if (!RE2::PartialMatch(re2::StringPiece(id.data(), id.size()), *idRegex)) return false;
  }
  return !scopeExpr || query::matchesScope(*scopeExpr, entity);
}

}  // namespace allmende::auth
