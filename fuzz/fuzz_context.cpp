// Fuzz target for JSON-LD @context processing and term expansion: the input
// is a JSON-LD document. Its "@context" (or, when it has none, the whole
// input as an @context value) is resolved by a fresh ContextRegistry as a
// request's @context is, and the document is added as a hosted @context and
// resolved again by its URL; the member names of the input and a few fixed
// terms are then expanded and compacted again with the compiled context.
// Runs without network (offline.h): remote @contexts fail at once.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

#include "jsonld/context_registry.h"
#include "ngsi/error.h"
#include "offline.h"

namespace {

namespace json = boost::json;
using namespace allmende;

constexpr std::string_view kTerms[] = {
    "type", "location", "name", "ngsi-ld:name", "schema:name", "https://example.org/x",
    "@id",  "",         "_:b0", "a:b:c"};

void expandAll(const jsonld::Context& ctx, const json::value& document) {
  auto roundTrip = [&ctx](std::string_view term) { ctx.compact(ctx.expand(term)); };
  for (auto t : kTerms) roundTrip(t);
  if (document.is_object())
    for (const auto& member : document.get_object()) roundTrip(member.key());
  for (const auto& [term, def] : ctx.terms()) ctx.compact(def.iri);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::goOffline();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  json::error_code ec;
  auto document = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec) return 0;
  const json::value* contextValue = &document;
  if (document.is_object())
    if (auto* c = document.get_object().if_contains("@context")) contextValue = c;

  jsonld::RegistryOptions options;
  options.fetch.timeout = std::chrono::milliseconds(500);
  jsonld::ContextRegistry registry(options, {});
  try {
    expandAll(*registry.resolve(*contextValue), document);
  } catch (const ngsi::Error&) {
  }
  try {
    auto entry = registry.addHosted(document, "");
    expandAll(*registry.resolve(json::string(entry.url)), document);
    registry.list("", std::nullopt);
    registry.remove(entry.localId, "");
  } catch (const ngsi::Error&) {
  }
  return 0;
}
