// Request-level rules of clause 6.3: tenant and snapshot headers, Content-Type
// and @context placement (Link header only with application/json, body member
// only with application/ld+json), unknown parameters, and the response's
// @context.
#include "api/call.h"

#include <algorithm>
#include <atomic>

#include <openssl/rand.h>

#include "common/json_text.h"
#include "auth/authenticator.h"
#include "auth/base64url.h"
#include "jsonld/core_context.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kContextRel = "http://www.w3.org/ns/json-ld#context";

// The URL of the json-ld#context link in a Link header, or "" if there is none.
std::string contextLink(std::string_view header) {
  while (!header.empty()) {
    auto lt = header.find('<');
    if (lt == std::string_view::npos) break;
    auto gt = header.find('>', lt);
    if (gt == std::string_view::npos) fail(ErrorType::BadRequestData, "malformed Link header");
    std::string url(header.substr(lt + 1, gt - lt - 1));
    auto next = header.find('<', gt);
    std::string_view params = header.substr(gt + 1, next == std::string_view::npos ? next : next - gt - 1);
    if (params.find(kContextRel) != std::string_view::npos) {
      if (url.empty()) fail(ErrorType::BadRequestData, "the Link header names an empty @context URL");
      return url;
    }
    if (next == std::string_view::npos) break;
    header = header.substr(next);
  }
  return {};
}

// What an NGSILD-Snapshot header does to a request (6.3.22): entity reads read
// the snapshot; the snapshot resources and the operations endpoints ignore it;
// everything else is refused, as a snapshot is read-only and holds no history.
enum class SnapshotUse { Read, Ignored, Refused };

SnapshotUse snapshotUse(const http::Request& req) {
  constexpr std::string_view api = "/ngsi-ld/v1/";
  std::string_view path = req.path;
  if (!path.starts_with(api)) return SnapshotUse::Ignored;
  path.remove_prefix(api.size());
  auto area = path.substr(0, path.find('/'));
  if (area == "snapshots") return SnapshotUse::Ignored;
  bool read = (req.method == "GET" &&
               (area == "entities" || area == "types" || area == "attributes" || area == "entityMaps")) ||
              (req.method == "POST" && path == "entityOperations/query");
  return read ? SnapshotUse::Read : SnapshotUse::Refused;
}

}  // namespace

Call::Call(http::Request& r, Services& s) : req(r), services(s), deadline(s.limits.requestTime) {
  if (auto t = req.header("ngsild-tenant")) {
    tenantGiven_ = true;
    tenant_ = clientTenant_ = std::string(*t);
    if (!ngsi::isValidTenant(tenant_))
      fail(ErrorType::BadRequestData, "NGSILD-Tenant '" + tenant_ +
                                          "' is not a valid tenant name (1-63 letters, digits, _-.:/; "
                                          "'/' between segments that do not start with '.')");
  }
  if (auto snapshot = req.header("ngsild-snapshot")) useSnapshot(std::string(*snapshot));
}

const std::shared_ptr<const auth::Access>& Call::access() {
  if (!access_)
    access_ = services.authenticator ? services.authenticator->access(req.caller.get(), clientTenant_)
                                     : auth::Access::everything();
  return access_;
}

namespace {

// Who the caller is, as the audit trail records it.
store::AuditRecord who(Call& call) {
  store::AuditRecord r;
  if (const auto& c = call.req.caller) {
    r.subject = c->subject;
    r.client = c->client;
  }
  r.requestId = call.requestId();
  return r;
}

}  // namespace

ngsi::Author Call::author() {
  ngsi::Author out;
  if (!access()->writesEverything())
    out.check = [access = access_](std::string_view id, const store::Entity* before, const store::Entity* after) {
      access->checkWrite(id, before, after);
    };
  if (services.audit) out.audit = who(*this);
  return out;
}

void Call::audit(std::string_view tenant, std::string resource, std::string operation,
                 std::vector<std::string> attributes) {
  if (!services.audit) return;
  auto r = who(*this);
  r.timeMs = ngsi::nowMs();
  r.resource = std::move(resource);
  r.operation = std::move(operation);
  r.attributes = std::move(attributes);
  services.store.putAudit(tenant, r);
}

const std::string& Call::requestId() {
  if (requestId_.empty()) {
    auto given = req.header("x-request-id");
    bool usable = given && !given->empty() && given->size() <= 128 &&
                  std::all_of(given->begin(), given->end(), [](char c) { return c > 0x20 && c < 0x7F; });
    if (usable) {
      requestId_ = std::string(*given);
    } else {  // this run's random prefix and a count: unique without a random draw per request
      static const std::string prefix = [] {
        unsigned char raw[6];
        RAND_bytes(raw, sizeof raw);
        return auth::base64UrlEncode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
      }();
      static std::atomic<uint64_t> count{0};
      requestId_ = prefix + "-" + std::to_string(count.fetch_add(1, std::memory_order_relaxed));
    }
  }
  return requestId_;
}

void Call::useSnapshot(std::string id) {
  snapshot_ = id;
  switch (snapshotUse(req)) {
    case SnapshotUse::Ignored:
      return;
    case SnapshotUse::Refused:
      fail(ErrorType::OperationNotSupported,
           "NGSILD-Snapshot: a snapshot is read-only and holds no history; only entity reads (GET /entities, "
           "/types, /attributes, /entityMaps, POST /entityOperations/query) can use one");
    case SnapshotUse::Read:
      break;
  }
  auto now = ngsi::nowMs();
  auto s = services.snapshots.find(tenant_, id, now);
  if (!s)
    fail(ErrorType::ResourceNotFound, "NGSILD-Snapshot: no snapshot with id '" + id + "'" +
                                          (tenant_.empty() ? "" : " in the tenant '" + tenant_ + "'"));
  services.snapshots.touch(tenant_, id, now);
  tenant_ = s->storeTenant;
  readsSnapshot_ = true;
}

void Call::requireTenant() const {
  if (!readsSnapshot_ && !tenant_.empty() && !services.store.tenantExists(tenant_))
    fail(ErrorType::NonexistentTenant, "the tenant '" + tenant_ + "' does not exist");
}

void Call::echoHeaders(http::Response& res) const {
  if (tenantGiven_) res.setHeader("NGSILD-Tenant", clientTenant_);
  if (snapshot_) res.setHeader("NGSILD-Snapshot", *snapshot_);
}

void Call::allowParams(std::initializer_list<std::string_view> names) const {
  for (const auto& [name, value] : req.query) {
    bool known = false;
    for (auto n : names) known = known || n == name;
    if (!known) fail(ErrorType::InvalidRequest, "unknown or unsupported query parameter '" + name + "'");
  }
}

std::vector<std::string> Call::listParam(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, value] : req.query) {
    if (n != name) continue;
    std::string_view rest = value;
    while (true) {
      auto comma = rest.find(',');
      auto part = rest.substr(0, comma);
      if (!part.empty()) out.emplace_back(part);
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  return out;
}

const json::object& Call::body(bool allowMergePatch) {
  if (body_) return *body_;
  auto type = bodyMediaType(req, allowMergePatch);
  if (req.body.empty()) fail(ErrorType::InvalidRequest, "the request body is empty");
  auto parsed = parseBody();
  if (!parsed.is_object()) fail(ErrorType::InvalidRequest, "the request body must be a JSON object");
  body_ = std::move(parsed.get_object());
  const json::value* bodyContext = body_->if_contains("@context");
  if (type == MediaType::JsonLd) {
    if (req.header("link") && !contextLink(*req.header("link")).empty())
      fail(ErrorType::BadRequestData,
           "with Content-Type application/ld+json the @context must be in the body, not in a Link header");
    if (!bodyContext)
      fail(ErrorType::BadRequestData, "a body of type application/ld+json must contain an @context");
  } else if (bodyContext) {
    fail(ErrorType::BadRequestData,
         "a body of type application/json must not contain an @context; send it in a Link header "
         "or use application/ld+json");
  }
  resolveContext(bodyContext);
  return *body_;
}

json::value Call::parseBody(json::storage_ptr storage) const {
  json::parse_options options;
  options.max_depth = services.limits.maxNesting;
  json::error_code ec;
  auto parsed = json::parse(req.body, ec, std::move(storage), options);
  if (ec == json::error::too_deep)
    fail(ErrorType::BadRequestData, "the request body nests arrays and objects deeper than " +
                                        std::to_string(options.max_depth) +
                                        " levels (--max-nesting)");
  if (ec) fail(ErrorType::InvalidRequest, "the request body is not valid JSON: " + ec.message());
  return parsed;
}

void Call::resolveContext(const json::value* bodyContext) {
  if (bodyContext) {
    contextValue_ = *bodyContext;
  } else if (auto link = req.header("link")) {
    linkUrl_ = contextLink(*link);
    if (!linkUrl_.empty()) contextValue_ = json::string(linkUrl_);
  }
  ctx_ = services.contexts.resolve(contextValue_);
}

const jsonld::Context& Call::context() {
  if (!ctx_) resolveContext(nullptr);
  return *ctx_;
}

http::Response Call::answer(int status, MediaType type, json::value& bodyContext) {
  http::Response res;
  res.status = status;
  res.setHeader("Content-Type", std::string(mediaTypeName(type)));
  bool contextInBody = type == MediaType::JsonLd;
  if (type == MediaType::GeoJson) {
    auto prefer = req.header("prefer");
    contextInBody = !(prefer && prefer->find("body=json") != std::string_view::npos);
  }
  json::value contextValue = contextValue_.is_null() ? json::value(jsonld::kCoreContextUrl) : contextValue_;
  if (contextInBody) {
    bodyContext = std::move(contextValue);
  } else {
    std::string url = !linkUrl_.empty()               ? linkUrl_
                      : contextValue_.is_string()      ? std::string(contextValue_.get_string())
                                                       : std::string(jsonld::kCoreContextUrl);
    res.setHeader("Link", "<" + url + ">; rel=\"" + std::string(kContextRel) +
                              "\"; type=\"application/ld+json\"");
  }
  echoHeaders(res);
  return res;
}

http::Response Call::respond(int status, json::value body, MediaType type) {
  json::value context;
  auto res = answer(status, type, context);
  if (!context.is_null()) {
    if (body.is_object()) {
      body.get_object()["@context"] = context;
    } else if (body.is_array()) {
      for (auto& e : body.get_array())
        if (e.is_object()) e.get_object()["@context"] = context;
    }
  }
  res.body = boundedText(body);
  return res;
}

http::Response Call::respondText(int status, MediaType type, const std::function<void(std::string&)>& write) {
  json::value context;
  auto res = answer(status, type, context);
  std::string text;
  text.reserve(2048);
  write(text);
  if (!context.is_null()) appendMemberToObject(text, "@context", context);
  if (text.size() > services.limits.maxResponseBytes) tooLarge();
  res.body = std::move(text);
  return res;
}

Call::ArrayAnswer::ArrayAnswer(Call& call, MediaType type, size_t expected)
    : call_(call), res_(call.answer(200, type, context_)), expected_(expected) {}

void Call::ArrayAnswer::add(json::value element) {
  if (count_ > 0) text_.push_back(',');
  if (!context_.is_null() && element.is_object()) element.get_object()["@context"] = context_;
  if (!appendJsonText(text_, element, call_.services.limits.maxResponseBytes)) call_.tooLarge();
  added();
}

void Call::ArrayAnswer::addText(const std::function<bool(std::string&)>& write) {
  size_t before = text_.size();
  if (count_ > 0) text_.push_back(',');
  if (!write(text_)) {
    text_.resize(before);
    return;
  }
  if (!context_.is_null()) appendMemberToObject(text_, "@context", context_);
  if (text_.size() > call_.services.limits.maxResponseBytes) call_.tooLarge();
  added();
}

void Call::ArrayAnswer::added() {
  if (++count_ == 1)
    text_.reserve(std::min(call_.services.limits.maxResponseBytes, text_.size() * expected_ / 4 * 5 + 2));
}

void Call::ArrayAnswer::restart() {
  text_.resize(1);
  count_ = 0;
}

http::Response Call::ArrayAnswer::finish(int status) {
  text_.push_back(']');
  if (text_.size() > call_.services.limits.maxResponseBytes) call_.tooLarge();
  res_.status = status;
  res_.body = std::move(text_);
  return std::move(res_);
}

http::Response Call::plain(int status, json::value body) {
  http::Response res = empty(status);
  res.setHeader("Content-Type", "application/json");
  res.body = boundedText(body);
  return res;
}

std::string Call::boundedText(const json::value& body) const {
  auto text = toJsonText(body, services.limits.maxResponseBytes);
  if (!text) tooLarge();
  return std::move(*text);
}

void Call::tooLarge() const {
  fail(ErrorType::TooManyResults,
       "the answer would be larger than " + std::to_string(services.limits.maxResponseBytes) +
           " bytes (--max-response-bytes); ask for less: a smaller limit, fewer attributes "
           "(attrs, pick, omit), or a more compact format (options=keyValues or concise)");
}

http::Response Call::empty(int status) {
  http::Response res;
  res.status = status;
  echoHeaders(res);
  return res;
}

json::object problemDetails(const ngsi::Error& error) {
  return {{"type", ngsi::errorTypeUri(error.type())},
          {"title", ngsi::errorTitle(error.type())},
          {"status", error.status()},
          {"detail", error.detail()}};
}

http::Response problemResponse(const ngsi::Error& error) {
  auto body = problemDetails(error);
  http::Response res;
  res.status = error.status();
  res.setHeader("Content-Type", "application/json");
  res.body = toJsonText(body);
  return res;
}

const std::string& Call::uriPathParam(size_t i, std::string_view what) const {
  const auto& value = pathParam(i);
  if (!ngsi::isUri(value)) fail(ErrorType::BadRequestData, ngsi::notUriDetail(what, value));
  return value;
}

bool Call::sysAttrsOption() const {
  bool sysAttrs = false;
  for (const auto& o : listParam("options")) {
    if (o != "sysAttrs") fail(ErrorType::BadRequestData, "options may only be sysAttrs here, not '" + o + "'");
    sysAttrs = true;
  }
  return sysAttrs;
}

}  // namespace allmende::api
