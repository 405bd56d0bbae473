// Paging parameters and the headers that describe a page.
#include "api/paging.h"

#include <algorithm>

#include "ngsi/error.h"

namespace allmende::api {

using ngsi::ErrorType;
using ngsi::fail;

namespace {

size_t sizeParam(const Call& call, std::string_view name, size_t fallback) {
  auto v = call.req.param(name);
  if (!v) return fallback;
  size_t n = 0;
  if (v->empty() || v->size() > 9) fail(ErrorType::BadRequestData, std::string(name) + " must be a non-negative integer");
  for (char c : *v) {
    if (c < '0' || c > '9') fail(ErrorType::BadRequestData, std::string(name) + " must be a non-negative integer");
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return n;
}

std::string encodeLinkValue(std::string_view v) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (c <= 0x20 || c == '&' || c == '#' || c == '%' || c == '+' || c == '<' || c == '>' || c == '"' || c >= 0x7f) {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// <path?params with limit/offset replaced>; rel="prev"|"next" (parameters sorted by name).
std::string pageLink(const Call& call, size_t limit, size_t offset, std::string_view rel, MediaType media) {
  auto params = call.req.query;
  std::erase_if(params, [](const auto& p) { return p.first == "limit" || p.first == "offset"; });
  params.emplace_back("limit", std::to_string(limit));
  params.emplace_back("offset", std::to_string(offset));
  std::stable_sort(params.begin(), params.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string url = call.req.path;
  if (url.size() > 1 && url.back() == '/') url.pop_back();  // the canonical path of the resource
  url += "?";
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) url += "&";
    url += params[i].first + "=" + encodeLinkValue(params[i].second);
  }
  return "<" + url + ">; rel=\"" + std::string(rel) + "\";type=\"" + std::string(mediaTypeName(media)) + "\"";
}

}  // namespace

Paging pagingParams(const Call& call) {
  Paging p;
  const auto& limits = call.services.limits;
  p.limit = sizeParam(call, "limit", limits.defaultLimit);
  p.offset = sizeParam(call, "offset", 0);
  if (auto c = call.req.param("count")) {
    if (*c != "true" && *c != "false") fail(ErrorType::BadRequestData, "count must be true or false");
    p.count = *c == "true";
  }
  if (p.limit > limits.maxLimit)
    fail(ErrorType::TooManyResults,
         "limit " + std::to_string(p.limit) + " exceeds the maximum of " + std::to_string(limits.maxLimit));
  if (p.limit == 0 && !p.count) fail(ErrorType::BadRequestData, "limit=0 is only allowed with count=true");
  return p;
}

void addPageHeaders(const Call& call, http::Response& res, const Paging& paging, bool more, size_t total,
                    MediaType media) {
  if (paging.count) res.setHeader("NGSILD-Results-Count", std::to_string(total));
  if (paging.limit == 0) return;
  std::string links;
  if (paging.offset > 0)
    links = pageLink(call, paging.limit, paging.offset > paging.limit ? paging.offset - paging.limit : 0, "prev", media);
  if (more) links += (links.empty() ? "" : ", ") + pageLink(call, paging.limit, paging.offset + paging.limit, "next", media);
  if (links.empty()) return;
  for (auto& [name, value] : res.headers)
    if (name == "Link") {
      value += ", " + links;
      return;
    }
  res.setHeader("Link", links);
}

}  // namespace allmende::api
