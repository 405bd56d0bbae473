// Maps (method, path pattern) to a handler. Patterns are literal segments and
// "{}" placeholders; a placeholder matches one segment (even an empty one, so
// that the handler can say what is wrong with it), which is percent-decoded
// into Request::pathParams. Each route belongs to a family (a number the
// caller gives, e.g. for request metrics), reported in Request::family.
// Built once at start, then read-only
// and safe to use from every I/O thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "http/message.h"

namespace allmende::http {

class Router {
 public:
  using Handler = std::function<Response(Request&)>;
  enum class Miss { NotFound, MethodNotAllowed, BadPath };

  // Registers a handler; pattern like "/ngsi-ld/v1/entities/{}/attrs/{}".
  void add(std::string method, std::string_view pattern, Handler handler);
  // The routes added from now on belong to `family` (0 until called).
  void beginFamily(uint16_t family) { family_ = family; }

  // The handler for req (filling req.pathParams), or why there is none.
  std::variant<const Handler*, Miss> match(Request& req) const;
  // The methods routed for req's path, e.g. "GET, PATCH" (for a 405's Allow header).
  std::string allowedMethods(const Request& req) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{}" = placeholder
    Handler handler;
    uint16_t family;
  };
  bool pathMatches(const Route& route, const std::vector<std::string_view>& segments) const;
  std::vector<Route> routes_;
  uint16_t family_ = 0;
};

}  // namespace allmende::http
