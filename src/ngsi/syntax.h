// Syntax checks of NGSI-LD identifiers and names: entity ids and other URIs,
// attribute and type names, scopes, language tags, tenant names; fresh ids.
#pragma once

#include <string>
#include <string_view>

namespace allmende::ngsi {

// An absolute URI (RFC 3986 scheme ":" rest, no spaces or forbidden characters).
bool isUri(std::string_view s);
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
