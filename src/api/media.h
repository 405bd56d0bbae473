// Content negotiation (clause 6.3.4-6.3.6): which representation a request
// body uses (Content-Type) and which one the client accepts (Accept), with the
// spec's preference json > ld+json > geo+json between equally weighted types.
#pragma once

#include <string_view>

#include "http/message.h"

namespace allmende::api {

enum class MediaType { Json, JsonLd, GeoJson };

std::string_view mediaTypeName(MediaType t);

// The representation to answer with; throws NotAcceptable (406) when none of
// the offered ones (geo+json only when allowGeo) is acceptable.
MediaType negotiate(const http::Request& req, bool allowGeo);

// The media type of the request body: Json or JsonLd (merge-patch+json counts
// as Json when allowMergePatch). Throws UnsupportedMediaType (415).
MediaType bodyMediaType(const http::Request& req, bool allowMergePatch);

}  // namespace allmende::api
