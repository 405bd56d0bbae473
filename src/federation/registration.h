// A context source registration (clause 5.2.9 CSourceRegistration): the
// checks on what a client sends (a create body or a PATCH fragment, with the
// spec's BadRequestData errors and the rules of clause 4.3.6.3 and 5.9.2.4
// that concern one registration alone), its stored form, and its
// representation on GET.
//
// Stored form: the members the client set, as given, except that the entity
// types, propertyNames and relationshipNames of `information` are expanded to
// IRIs, and so are the names of Context Source Properties (members the data
// type does not define, e.g. "sourceType"), so that a GET compacts them with
// the reader's @context. Times and durations keep the client's text.
// Read-only members a client sends (status, timesSent, createdAt, ...) are dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "jsonld/context.h"

namespace allmende::federation {

namespace json = boost::json;

enum class Mode { Inclusive, Exclusive, Redirect, Auxiliary };

// What distributed operations report back (clause 5.2.9, read-only members).
struct RegistrationStats {
  uint64_t timesSent = 0;
  uint64_t timesFailed = 0;
  int64_t lastSuccessMs = 0;
  int64_t lastFailureMs = 0;
  int64_t coolUntilMs = 0;  // not asked again before (after a failure); not stored
};

// One EntityInfo of a RegistrationInfo (clause 5.2.8), type expanded.
struct EntityInfo {
  std::optional<std::string> id;
  std::optional<std::string> idPattern;
  std::optional<std::string> type;
};

// One RegistrationInfo (clause 5.2.10), names expanded. No entities: any
// entity; no propertyNames and relationshipNames: any attribute.
struct RegistrationInfo {
  std::vector<EntityInfo> entities;
  std::set<std::string, std::less<>> propertyNames;
  std::set<std::string, std::less<>> relationshipNames;
  bool anyAttribute() const { return propertyNames.empty() && relationshipNames.empty(); }
  bool hasAttribute(std::string_view iri) const {
    return anyAttribute() || propertyNames.contains(iri) || relationshipNames.contains(iri);
  }
};

struct Registration {
  std::string id;
  json::object doc;  // see the stored form above; includes id and type
  int64_t createdAtMs = 0;
  int64_t modifiedAtMs = 0;
  RegistrationStats stats;
};

// Checks a create body (without its @context member) and makes the stored
// registration; generates urn:ngsi-ld:ContextSourceRegistration:<random> when id is absent.
Registration createRegistration(const json::object& body, const jsonld::Context& ctx,
                                int64_t nowMs);

// Applies a PATCH fragment (clause 5.9.3): each member replaces the stored one,
// null removes an optional member; the result is checked as on create.
void patchRegistration(Registration& r, const json::object& fragment, const jsonld::Context& ctx,
                       int64_t nowMs);

// The GET representation, terms compacted with ctx; createdAt/modifiedAt with sysAttrs.
json::object renderRegistration(const Registration& r, const jsonld::Context& ctx, bool sysAttrs);

Mode modeOf(const Registration& r);
std::vector<RegistrationInfo> informationOf(const Registration& r);
// Epoch ms of expiresAt, or nullopt if the registration does not expire.
std::optional<int64_t> expiresAtMs(const Registration& r);

std::string serializeRegistration(const Registration& r);
Registration parseStoredRegistration(std::string_view id, std::string_view document);

}  // namespace allmende::federation
