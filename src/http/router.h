// Maps (method, path pattern) to a handler. Patterns are literal segments and
// "{}" placeholders; a placeholder matches one non-empty segment, which is
// percent-decoded into Request::pathParams. Built once at start, then read-only
// and safe to use from every I/O thread.
#pragma once

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

  // The handler for req (filling req.pathParams), or why there is none.
  std::variant<const Handler*, Miss> match(Request& req) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{}" = placeholder
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace allmende::http
