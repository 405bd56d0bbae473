// The @context endpoints (clause 5.13, /ngsi-ld/v1/jsonldContexts): add a
// Hosted context, list contexts (details, kind), serve one, delete or reload.
#include "api/routes.h"
#include "jsonld/core_context.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kPath = "/ngsi-ld/v1/jsonldContexts";

json::object details(const jsonld::ContextEntry& e) {
  json::object o;
  o["URL"] = e.url;
  o["localId"] = e.localId;
  o["kind"] = e.kind;
  o["createdAt"] = ngsi::formatDateTime(e.createdAt);
  if (e.lastUsage) o["lastUsage"] = ngsi::formatDateTime(e.lastUsage);
  o["numberOfHits"] = e.hits;
  return o;
}

jsonld::ContextEntry coreEntry() {
  jsonld::ContextEntry e;
  e.url = std::string(jsonld::kCoreContextUrl);
  e.localId = "core";
  e.kind = "Cached";
  e.document = jsonld::coreContextDocument();
  return e;
}

bool boolParam(const Call& call, std::string_view name) {
  auto v = call.req.param(name);
  if (!v) return false;
  std::string lower(*v);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower != "true" && lower != "false")
    fail(ErrorType::BadRequestData, std::string(name) + " must be true or false");
  return lower == "true";
}

http::Response addContext(Call& call) {
  call.allowParams({});
  bodyMediaType(call.req, false);
  auto doc = call.parseBody();
  auto entry = call.services.contexts.addHosted(doc, call.tenant());
  auto res = call.empty(201);
  // Relative, like every Location of the API; the broker also accepts this
  // path as an @context reference (see ContextRegistry).
  res.setHeader("Location", std::string(kPath) + "/" + entry.localId);
  return res;
}

http::Response listContexts(Call& call) {
  call.allowParams({"details", "kind"});
  bool withDetails = boolParam(call, "details");
  std::optional<std::string> kind;
  if (auto k = call.req.param("kind")) {
    if (*k != "Hosted" && *k != "Cached" && *k != "ImplicitlyCreated")
      fail(ErrorType::BadRequestData, "kind must be Hosted, Cached or ImplicitlyCreated");
    kind = std::string(*k);
  }
  json::array out;
  for (const auto& e : call.services.contexts.list(call.tenant(), kind)) {
    if (withDetails)
      out.push_back(details(e));
    else
      out.emplace_back(e.url);
  }
  return call.plain(200, std::move(out));
}

http::Response serveContext(Call& call) {
  call.allowParams({"details"});
  bool withDetails = boolParam(call, "details");
  const auto& id = call.pathParam(0);
  auto entry = jsonld::isCoreContextUrl(id) ? std::optional(coreEntry())
                                            : call.services.contexts.serve(id, call.tenant());
  if (!entry) fail(ErrorType::ResourceNotFound, "no @context with id '" + id + "'");
  if (withDetails) return call.plain(200, details(*entry));
  auto media = negotiate(call.req, false);
  auto res = call.plain(200, entry->document);
  res.setHeader("Content-Type", std::string(mediaTypeName(media)));
  return res;
}

http::Response deleteContext(Call& call) {
  call.allowParams({"reload"});
  bool reload = boolParam(call, "reload");
  const auto& id = call.pathParam(0);
  if (jsonld::isCoreContextUrl(id)) {
    if (!reload) fail(ErrorType::BadRequestData, "the core @context cannot be deleted");
    return call.empty(204);  // the core is embedded: reloading it changes nothing
  }
  auto entry = call.services.contexts.find(id, call.tenant());
  if (!entry && reload)
    fail(ErrorType::BadRequestData, "reload needs the URL of a Cached @context; '" + id + "' is none");
  if (!entry) fail(ErrorType::ResourceNotFound, "no @context with id '" + id + "'");
  if (reload) {
    if (entry->kind != "Cached")
      fail(ErrorType::BadRequestData, "only Cached @contexts can be reloaded (this one is " + entry->kind + ")");
    call.services.contexts.reload(id);
    return call.empty(204);
  }
  call.services.contexts.remove(id, call.tenant());
  return call.empty(204);
}

}  // namespace

void registerContextRoutes(http::Router& router, Services& services) {
  constexpr std::string_view one = "/ngsi-ld/v1/jsonldContexts/{}";
  addRoute(router, services, "POST", kPath, addContext);
  addRoute(router, services, "GET", kPath, listContexts);
  addRoute(router, services, "GET", one, serveContext);
  addRoute(router, services, "DELETE", one, deleteContext);
}

}  // namespace allmende::api
