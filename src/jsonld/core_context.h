// The NGSI-LD v1.9 core @context, embedded: its term table is encoded in
// core_context.cpp, so the core is never downloaded. Every core context URL
// from v1.3 to v1.9 is recognised as this context.
#pragma once

#include <string_view>

#include <boost/json/object.hpp>

#include "jsonld/context.h"

namespace allmende::jsonld {

inline constexpr std::string_view kCoreContextUrl =
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld";

// The compiled core context (built once, thread-safe).
const ContextPtr& coreContext();
// The core context as a JSON-LD document {"@context": {...}}, for serving it.
const boost::json::object& coreContextDocument();
// True for the URLs of the core context, any version from v1.3 on.
bool isCoreContextUrl(std::string_view url);

}  // namespace allmende::jsonld
