// One API call: the request plus what every handler needs from it, read
// lazily and checked with the spec's errors: the tenant (NGSILD-Tenant, or
// the snapshot an entity read names with NGSILD-Snapshot), the allowed query
// parameters, the JSON body and its @context (Link header or body member, by
// Content-Type), and how to answer (Accept, Link header or @context member,
// tenant and snapshot echo).
#pragma once

#include <initializer_list>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "api/media.h"
#include "api/services.h"
#include "auth/access.h"
#include "common/deadline.h"
#include "http/message.h"
#include "jsonld/context.h"
#include "ngsi/error.h"
#include "ngsi/write_path.h"

namespace allmende::api {

namespace json = boost::json;

class Call {
 public:
  Call(http::Request& req, Services& services);

  http::Request& req;
  Services& services;
  // Started with the call (Limits::requestTime); the reads that examine
  // candidates check it, and dispatch answers DeadlineExceeded.
  Deadline deadline;

  // The store tenant the call works on: the client's tenant ("" = default),
  // or, for an entity read with NGSILD-Snapshot, the snapshot's store tenant.
  const std::string& tenant() const { return tenant_; }
  // The tenant as the client named it (NGSILD-Tenant; "" = default).
  const std::string& clientTenant() const { return clientTenant_; }
  // What the caller may do in the client's tenant (auth/access.h): everything
  // with authentication off and for the broker's admin.
  const std::shared_ptr<const auth::Access>& access();
  // The caller as the author of writes (ngsi::WritePath): its access checked
  // on each change, and who it is for the audit trail (with --audit on).
  ngsi::Author author();
  // Records an action that is not an entity write (an admin action, a change
  // of history alone) in the audit trail of `tenant`, with --audit on.
  void audit(std::string_view tenant, std::string resource, std::string operation,
             std::vector<std::string> attributes = {});
  // The request's id for the audit trail: the client's X-Request-Id (up to
  // 128 printable characters), else one made here. Once asked for, the
  // response carries it (X-Request-Id).
  const std::string& requestId();
  bool requestIdUsed() const { return !requestId_.empty(); }
  // Throws NonexistentTenant unless the tenant is the default one or has data
  // (or the call reads a snapshot, which exists).
  void requireTenant() const;
  // Throws InvalidRequest for any query parameter not named here.
  void allowParams(std::initializer_list<std::string_view> names) const;
  // The value of a path parameter {} (0-based).
  const std::string& pathParam(size_t i) const { return req.pathParams.at(i); }
  // A path parameter that must be a URI (BadRequestData naming `what` otherwise).
  const std::string& uriPathParam(size_t i, std::string_view what) const;
  // options=sysAttrs on the broker's own documents (subscriptions, registrations):
  // true if given; any other option is BadRequestData.
  bool sysAttrsOption() const;

  // The request body as a JSON object, after Content-Type (415) and JSON
  // (InvalidRequest) checks; resolves the @context from the body or the Link header.
  const json::object& body(bool allowMergePatch = false);
  // The request body parsed as JSON into `storage`: InvalidRequest if it is not
  // JSON, BadRequestData if it nests deeper than Limits::maxNesting.
  json::value parseBody(json::storage_ptr storage = {}) const;
  // The request's compiled @context (core only when none was given).
  const jsonld::Context& context();
  // The @context as the request gave it (body member or Link URL); null = none.
  const json::value& contextValue() {
    context();
    return contextValue_;
  }

  // Comma-separated values of a query parameter ("a,b" -> {"a","b"}).
  std::vector<std::string> listParam(std::string_view name) const;

  // A response with a JSON body in the negotiated representation. Throws
  // TooManyResults when its text would exceed Limits::maxResponseBytes (as
  // plain does).
  http::Response respond(int status, json::value body, MediaType type);
  // The same for a body of one object that `write` appends as JSON text
  // (ngsi::writeEntity); the @context it carries is added after it.
  http::Response respondText(int status, MediaType type, const std::function<void(std::string&)>& write);
  // The same for an array written element by element: each element is made,
  // added (written out) and dropped before the next, so a large answer is
  // never whole in memory as JSON.
  class ArrayAnswer {
   public:
    // `expected`: about how many elements come (after the first, the text gets
    // room for that many of its size and a quarter more).
    ArrayAnswer(Call& call, MediaType type, size_t expected);
    void add(json::value element);
    // Adds an object that `write` appends as JSON text, or nothing if it
    // returns false (what it wrote is taken back).
    void addText(const std::function<bool(std::string&)>& write);
    // Drops the elements added so far (the answer is made again).
    void restart();
    http::Response finish(int status);

   private:
    void added();
    Call& call_;
    json::value context_;  // what each element carries as @context; null = none (made by res_)
    http::Response res_;
    size_t expected_;
    size_t count_ = 0;
    std::string text_ = "[";
  };
  // A plain application/json response (no @context), e.g. for /jsonldContexts.
  http::Response plain(int status, json::value body);
  // A response without body (201 with Location, 204).
  http::Response empty(int status);

 private:
  void resolveContext(const json::value* bodyContext);
  // Applies an NGSILD-Snapshot header (clause 6.3.22), see call.cpp.
  void useSnapshot(std::string id);
  // Sets the NGSILD-Tenant and NGSILD-Snapshot headers the request gave.
  void echoHeaders(http::Response& res) const;
  // A response with the status, Content-Type and request headers of `type`:
  // the @context goes into the Link header, or is returned (non-null) for the
  // body's objects to carry.
  http::Response answer(int status, MediaType type, json::value& bodyContext);
  // The body's JSON text; TooManyResults beyond Limits::maxResponseBytes.
  std::string boundedText(const json::value& body) const;
  [[noreturn]] void tooLarge() const;

  std::shared_ptr<const auth::Access> access_;
  std::string requestId_;
  std::string tenant_;
  std::string clientTenant_;  // as NGSILD-Tenant gave it
  bool tenantGiven_ = false;
  std::optional<std::string> snapshot_;  // the NGSILD-Snapshot header
  bool readsSnapshot_ = false;           // tenant_ is a snapshot's store tenant
  std::optional<json::object> body_;
  jsonld::ContextPtr ctx_;
  json::value contextValue_;      // as the user gave it; null = none
  std::string linkUrl_;           // the Link header's context URL, if any
};

// The ProblemDetails body of an error, and the response carrying it (application/json).
json::object problemDetails(const ngsi::Error& error);
http::Response problemResponse(const ngsi::Error& error);

}  // namespace allmende::api
