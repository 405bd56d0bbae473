// Route matching by segment comparison; the route table is small, so a linear
// scan is cheaper than anything cleverer.
#include "http/router.h"

namespace allmende::http {

namespace {
std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  if (!path.empty() && path[0] == '/') start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      break;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}
}  // namespace

void Router::add(std::string method, std::string_view pattern, Handler handler) {
  Route r{std::move(method), {}, std::move(handler), family_};
  for (auto s : splitPath(pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

bool Router::pathMatches(const Route& route, const std::vector<std::string_view>& segments) const {
  if (route.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i)
    if (route.segments[i] != "{}" && route.segments[i] != segments[i]) return false;
  return true;
}

namespace {
std::vector<std::string_view> requestSegments(const Request& req) {
  auto segments = splitPath(req.path);
  // A trailing slash names the same resource ("/entities/" == "/entities").
  if (segments.size() > 1 && segments.back().empty()) segments.pop_back();
  return segments;
}
}  // namespace

std::variant<const Router::Handler*, Router::Miss> Router::match(Request& req) const {
  auto segments = requestSegments(req);
  bool pathMatched = false;
  for (const auto& route : routes_) {
    if (!pathMatches(route, segments)) continue;
    pathMatched = true;
    if (route.method != req.method) continue;
    req.pathParams.clear();
    for (size_t i = 0; i < segments.size(); ++i) {
      if (route.segments[i] != "{}") continue;
      auto decoded = percentDecode(segments[i]);
      if (!decoded) return Miss::BadPath;
      req.pathParams.push_back(std::move(*decoded));
    }
    req.family = route.family;
    return &route.handler;
  }
  return pathMatched ? Miss::MethodNotAllowed : Miss::NotFound;
}

std::string Router::allowedMethods(const Request& req) const {
  auto segments = requestSegments(req);
  std::string allow;
  for (const auto& route : routes_) {
    if (!pathMatches(route, segments) || allow.find(route.method) != std::string::npos) continue;
    if (!allow.empty()) allow += ", ";
    allow += route.method;
  }
  return allow;
}

}  // namespace allmende::http
