// Syntax checks of NGSI-LD identifiers and names: entity ids and other URIs
// (bounded in length), attribute and type names, scopes, language tags, tenant
// names; fresh ids.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace allmende::ngsi {

// The longest URI the broker accepts, in bytes: entity ids and every other URI
// (subscription ids, relationship objects, datasetIds, endpoints, @context
// URLs). Longer ones are refused before anything is stored, which also keeps
// the response headers that carry one (Location, Link) within what HTTP
// allows. Set once at start, before serving (--max-uri-length); 2,048 by default.
void setMaxUriLength(size_t bytes);
size_t maxUriLength();

// An absolute URI (RFC 3986 scheme ":" rest, no spaces or forbidden
// characters) of at most maxUriLength() bytes.
bool isUri(std::string_view s);
// The error detail for a value isUri rejects, named `what` ("the entity id"):
// its length and the limit when it is too long, else that it is not a URI
// (quoting it, shortened when long).
std::string notUriDetail(std::string_view what, std::string_view s);
// A usable attribute or type name (term, compact IRI or IRI) with none of the
// characters NGSI-LD forbids in names (clause 4.6.2).
bool isValidName(std::string_view s);
// A scope: "/" followed by segments, e.g. "/Madrid/Centro" (clause 4.18).
bool isValidScope(std::string_view s);
// A BCP 47 language tag like "en", "de-CH", or "@none".
bool isValidLanguageTag(std::string_view s);
// A tenant name: 1-63 characters of letters, digits, '_', '-', '.', ':', '/',
// where '/' separates segments that are not empty and do not start with '.'
// (no "..", no leading or trailing '/'), so that a tenant maps safely to a
// folder or a PostgreSQL schema (whose names hold at most 63 bytes).
bool isValidTenant(std::string_view s);

// A fresh identifier: urn:ngsi-ld:<kind>:<32 random hex digits>.
std::string randomUrn(std::string_view kind);

}  // namespace allmende::ngsi
