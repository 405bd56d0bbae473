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
  Create,    // a whole new entity: id and type required
  Fragment,  // attributes to add or update (append, update, replace, merge): id/type optional
  Patch,     // like Fragment, but null / "urn:ngsi-ld:null" values are allowed (merge, partial update)
};

// An entity body. Returns the internal form without system timestamps; members
// "@context", "createdAt", "modifiedAt" and "deletedAt" of the input are ignored.
json::object parseEntity(const json::object& body, const jsonld::Context& ctx, ParseMode mode);

// The value of one attribute (an instance object, a concise value or an array of
// instances) as a list of internal instances. `name` is only used in errors.
json::array parseAttribute(const json::value& value, const std::string& name,
                           const jsonld::Context& ctx, ParseMode mode);

// True for the NGSI-LD null of merge and partial update: JSON null or "urn:ngsi-ld:null".
bool isNgsiNull(const json::value& v);

}  // namespace allmende::ngsi
