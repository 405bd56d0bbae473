// Output: turns an internal entity into the representation a request asked
// for (normalized, concise, simplified/keyValues; GeoJSON Feature), compacting
// IRIs with the request's @context and applying attrs/pick/omit, sysAttrs and
// lang. Expired instances are left out. As a value, or as JSON text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <map>
#include <set>
#include <string>

#include <boost/json.hpp>

#include "jsonld/context.h"

namespace allmende::ngsi {

namespace json = boost::json;

enum class Format { Normalized, Concise, Simplified };

// A pick or omit projection (clause 4.21): compacted member names at this
// level, and for a relationship name the projection of the entity it links to
// (pick=id,locatedAt{name} / omit=locatedAt{name}; only with join).
struct Projection {
  std::set<std::string> names;
  std::map<std::string, Projection> linked;
};

struct RenderOptions {
  Format format = Format::Normalized;
  bool sysAttrs = false;
  std::optional<std::string> lang;                   // lang=... ("*" = all)
  std::optional<std::set<std::string>> attrs;        // expanded attribute IRIs to keep
  std::optional<Projection> pick;  // members to keep (incl. id, type)
  std::optional<Projection> omit;  // members to drop (a name with a linked projection stays)
  std::optional<std::set<std::string>> datasetIds;   // only instances with these datasetIds ("@none" = default)
  int64_t now = 0;
  boost::json::storage_ptr storage;  // where the rendered values are allocated (a request's arena)
};

json::object renderEntity(const json::object& entity, const jsonld::Context& ctx,
                          const RenderOptions& options);

// What a rendering holds at its top level: how many members, and whether any
// of them is an attribute (or a system attribute), not only id, type and scope.
struct RenderedMembers {
  size_t count = 0;
  bool attributes = false;
};

// What renderEntity gives, written as JSON text to the end of `out` without
// building it first (the same renderer).
RenderedMembers writeEntity(std::string& out, const json::object& entity, const jsonld::Context& ctx,
                            const RenderOptions& options);

// One attribute instance of the internal form as renderEntity shows an
// attribute with one instance (in concise form possibly a bare value; in
// simplified form its value). The temporal representation is built from these.
json::value renderInstance(const json::object& instance, const jsonld::Context& ctx,
                           const RenderOptions& options);

// The entity's types, compacted: a string for one type, else an array.
json::value renderTypes(const json::value& types, const jsonld::Context& ctx,
                        const json::storage_ptr& storage = {});

// The GeoJSON geometry of an entity's geometryProperty (expanded IRI): its
// default instance's value, else the first unexpired one's; null when absent.
json::value featureGeometry(const json::object& entity, const std::string& geometryProperty, int64_t now);

// A rendered entity as a GeoJSON Feature: id, the geometry, the other members under "properties".
json::object asFeature(json::object rendered, json::value geometry, json::storage_ptr storage = {});

// A GeoJSON Feature: geometry from geometryProperty (expanded IRI; null when
// absent), the rendered entity's members under "properties".
json::object renderFeature(const json::object& entity, const jsonld::Context& ctx,
                           const RenderOptions& options, const std::string& geometryProperty);

}  // namespace allmende::ngsi
