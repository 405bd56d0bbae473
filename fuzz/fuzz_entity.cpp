// Fuzz target for entity parsing (ngsi/parse.h): the input is an entity body
// (normalized or concise), with its @context inline when it has one (resolved
// as for application/ld+json, without network: offline.h), else with the core
// context. It is parsed in each ParseMode; a parsed new entity is created,
// indexed (entityMeta) and rendered in every format (the text written straight
// away must be the rendered value's text), and the Fragment and
// Merge results are applied to it as append and merge do. Only ngsi::Error
// may leave these functions: anything else would be a 500 in the broker.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/json.hpp>

#include "common/json_text.h"
#include "jsonld/context_registry.h"
#include "jsonld/core_context.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/operations.h"
#include "ngsi/parse.h"
#include "ngsi/render.h"
#include "offline.h"

namespace {

namespace json = boost::json;
using namespace allmende;

constexpr int64_t kNow = 1735689600000;  // 2025-01-01T00:00:00Z

std::optional<json::object> parse(const json::object& body, const jsonld::Context& ctx,
                                  ngsi::ParseMode mode) {
  try {
    return ngsi::parseEntity(body, ctx, mode);
  } catch (const ngsi::Error&) {
    return std::nullopt;
  }
}

void render(const json::object& entity, const jsonld::Context& ctx) {
  for (auto format : {ngsi::Format::Normalized, ngsi::Format::Concise, ngsi::Format::Simplified}) {
    ngsi::RenderOptions options;
    options.format = format;
    options.sysAttrs = format == ngsi::Format::Normalized;
    options.lang = format == ngsi::Format::Simplified ? "en" : "*";
    options.now = kNow;
    // The text written straight away is the rendered value's text.
    std::string text;
    ngsi::writeEntity(text, entity, ctx, options);
    if (text != toJsonText(ngsi::renderEntity(entity, ctx, options))) __builtin_trap();
    toJsonText(ngsi::renderFeature(entity, ctx, options, ctx.expand("location")));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::goOffline();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  json::error_code ec;
  auto value = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !value.is_object()) return 0;
  const auto& body = value.get_object();

  jsonld::ContextPtr ctx = jsonld::coreContext();
  if (auto* c = body.if_contains("@context")) {
    jsonld::RegistryOptions options;
    options.fetch.timeout = std::chrono::milliseconds(500);
    jsonld::ContextRegistry registry(options, {});
    try {
      ctx = registry.resolve(*c);
    } catch (const ngsi::Error&) {
      return 0;
    }
  }

  auto created = parse(body, *ctx, ngsi::ParseMode::Create);
  auto fragment = parse(body, *ctx, ngsi::ParseMode::Fragment);
  parse(body, *ctx, ngsi::ParseMode::Patch);
  auto merge = parse(body, *ctx, ngsi::ParseMode::Merge);
  if (!created) return 0;
  auto entity = ngsi::createEntity(*created, kNow);
  ngsi::entityMeta(entity);
  render(entity, *ctx);
  if (fragment) {
    auto appended = entity;
    ngsi::appendAttributes(appended, *fragment, false, kNow + 1);
    render(appended, *ctx);
  }
  if (merge) {
    auto merged = entity;
    ngsi::mergeEntity(merged, *merge, kNow + 1);
    render(merged, *ctx);
  }
  return 0;
}
