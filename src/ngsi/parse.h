// Input: validates an NGSI-LD entity or attribute fragment (normalized or
// concise form) and converts it to the internal expanded form (ngsi/entity.h),
// throwing ngsi::Error (BadRequestData) with a detail naming the fault.
#pragma once

#include <string>

#include <boost/json.hpp>

#include "jsonld/context.h"

namespace allmende::ngsi {

namespace json = boost::json;

enum class ParseMode {
  Create,    // a whole new entity: id and type required; no NGSI-LD null anywhere
  Fragment,  // attributes to add or replace (append, replace): id/type optional; no null
  Patch,     // update and partial update: a null value deletes the attribute (instance);
             // members may be left out; no null nested inside a value
  Merge,     // merge entity: like Patch, and nulls inside object values delete keys (RFC 7396)
};

// An entity body. Returns the internal form without system timestamps; members
// "@context", "createdAt", "modifiedAt" and "deletedAt" of the input are ignored.
// The result is built in `storage` (e.g. the arena of a batch request).
// The body's values are moved into the result (no copy when both are in the
// same storage).
json::object parseEntity(json::object body, const jsonld::Context& ctx, ParseMode mode,
                         json::storage_ptr storage = {});

// The value of one attribute (an instance object, a concise value or an array of
// instances) as a list of internal instances. `iri` is the expanded attribute
// name (it decides GeoProperty-only names and ngsildproof); `name` is used in errors.
json::array parseAttribute(json::value value, const std::string& name, const std::string& iri,
                           const jsonld::Context& ctx, ParseMode mode, json::storage_ptr storage = {});

// True for the NGSI-LD null "urn:ngsi-ld:null" (JSON null is never accepted:
// JSON-LD drops it, so NGSI-LD spells deletion with this URI, clause 4.5.x/5.5.4).
bool isNgsiNull(const json::value& v);

// True if a parsed (Patch/Merge) instance asks for its deletion: its value
// member is the NGSI-LD null (for a LanguageProperty, {"@none": null}).
bool isDeletion(const json::object& instance);

}  // namespace allmende::ngsi
