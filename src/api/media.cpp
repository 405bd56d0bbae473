// Accept header parsing: media ranges with q-values; the most specific range
// matching a type decides its weight; q=0 excludes it.
#include "api/media.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "ngsi/error.h"

namespace allmende::api {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Range {
  std::string type;  // "application/json", "application/*", "*/*"
  double q = 1.0;
};

std::vector<Range> parseAccept(std::string_view header) {
  std::vector<Range> out;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view part = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    auto semi = part.find(';');
    Range r{lower(trim(part.substr(0, semi))), 1.0};
    if (r.type.empty()) continue;
    while (semi != std::string_view::npos) {
      part = part.substr(semi + 1);
      semi = part.find(';');
      auto param = trim(part.substr(0, semi));
      if (param.starts_with("q=") || param.starts_with("Q=")) {
        std::string v(param.substr(2));
        char* end = nullptr;
        double q = std::strtod(v.c_str(), &end);
        // A weight that cannot be read decides nothing: the range keeps q=1.
        if (end != v.c_str() && *end == '\0' && q >= 0 && q <= 1) r.q = q;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

// Weight of a concrete type under the ranges: the most specific matching range wins.
double weight(const std::vector<Range>& ranges, std::string_view type) {
  int bestSpecificity = -1;
  double q = 0;
  for (const auto& r : ranges) {
    int specificity = -1;
    if (r.type == type)
      specificity = 2;
    else if (r.type == "application/*" && type.starts_with("application/"))
      specificity = 1;
    else if (r.type == "*/*" || r.type == "*")
      specificity = 0;
    if (specificity > bestSpecificity) {
      bestSpecificity = specificity;
      q = r.q;
    }
  }
  return bestSpecificity < 0 ? 0 : q;
}

}  // namespace

std::string_view mediaTypeName(MediaType t) {
  switch (t) {
    case MediaType::Json: return "application/json";
    case MediaType::JsonLd: return "application/ld+json";
    case MediaType::GeoJson: return "application/geo+json";
  }
  return "application/json";
}

MediaType negotiate(const http::Request& req, bool allowGeo) {
  auto accept = req.header("accept");
  if (!accept || trim(*accept).empty()) return MediaType::Json;
  auto ranges = parseAccept(*accept);
  MediaType best = MediaType::Json;
  double bestQ = 0;
  for (auto t : {MediaType::Json, MediaType::JsonLd, MediaType::GeoJson}) {
    if (t == MediaType::GeoJson && !allowGeo) continue;
    double q = weight(ranges, mediaTypeName(t));
    if (q > bestQ) {
      bestQ = q;
      best = t;
    }
  }
  if (bestQ <= 0)
    ngsi::fail(ngsi::ErrorType::NotAcceptable,
               std::string("none of the representations this resource offers (application/json, "
                           "application/ld+json") +
                   (allowGeo ? ", application/geo+json" : "") + ") is acceptable");
  return best;
}

MediaType bodyMediaType(const http::Request& req, bool allowMergePatch) {
  auto ct = req.header("content-type");
  std::string type = ct ? lower(trim(ct->substr(0, ct->find(';')))) : "";
  if (type == "application/json") return MediaType::Json;
  if (type == "application/ld+json") return MediaType::JsonLd;
  if (allowMergePatch && type == "application/merge-patch+json") return MediaType::Json;
  ngsi::fail(ngsi::ErrorType::UnsupportedMediaType,
             "Content-Type '" + std::string(ct.value_or("")) +
                 "' is not supported; use application/json or application/ld+json" +
                 (allowMergePatch ? " (or application/merge-patch+json)" : ""));
}

}  // namespace allmende::api
