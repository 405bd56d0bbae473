// Plain HTTP request and response values handed between the server and the api
// layer. They carry no Beast type so that only src/http/server.cpp pays for
// Beast's headers. Header names are stored lower-case.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace allmende::http {

// Who sent a request, as authentication found: the names access grants are
// given to (docs/security.md), and what the audit trail records.
struct Caller {
  std::string subject;  // a token's sub, "apikey:<id>" for an API key; "" anonymous
  std::string client;   // the application: a token's azp or client_id, an API key's name
  // "sub:<sub>", "claim:<name>=<value>", "apikey:<id>", "authenticated", "anyone"
  std::vector<std::string> principals;
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // raw path, still percent-encoded
  std::vector<std::pair<std::string, std::string>> query;    // decoded name/value pairs
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::vector<std::string> pathParams;  // decoded {params} of the matched route, in order
  uint16_t family = 0;  // the matched route's family (Router::beginFamily); 0 = none matched
  std::string body;
  std::shared_ptr<const Caller> caller;  // who sent it, once authenticated; null with authentication off

  // The first header of that (lower-case) name, if any.
  std::optional<std::string_view> header(std::string_view lowerName) const;
  // The first query parameter of that name, if any.
  std::optional<std::string_view> param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // An answer that is not ready when the handler returns (it waits for other
  // servers, e.g. registered context sources): the server calls `later` once,
  // with a function that takes the final response; that function may be
  // called from any thread, exactly once. The connection waits meanwhile; no
  // thread does.
  using Finish = std::function<void(Response)>;
  std::function<void(Finish)> later;

  void setHeader(std::string name, std::string value);
};

// Splits a raw target "/a/b?x=1&y=2" into path and decoded query pairs
// ('+' in the query is a space; a literal plus is sent as %2B).
// Returns false if the query string cannot be percent-decoded.
bool parseTarget(std::string_view target, std::string& path,
                 std::vector<std::pair<std::string, std::string>>& query);

// Percent-decodes one path segment, or (formEncoded) one query component where
// '+' stands for a space as browsers and HTTP clients send it.
// Returns std::nullopt on a malformed escape.
std::optional<std::string> percentDecode(std::string_view in, bool formEncoded = false);

// Percent-encodes a path segment (all but unreserved characters and
// ":@!$'*+,;="), or a query component (all but unreserved characters and
// ":@!$'*,;/?()"; so '&', '=', '+' and '#' are encoded).
std::string percentEncode(std::string_view in, bool queryComponent = false);

// True if the path segment (already decoded once, by the router) is "." or ".."
// once percent-decoded as often as it decodes ("%252e" -> "%2e" -> "."): a
// segment that would address another resource wherever the path is resolved
// again (RFC 3986 5.2.4), so never a name.
bool isDotSegment(std::string_view segment);

}  // namespace allmende::http
