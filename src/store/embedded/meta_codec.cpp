// A compact JSON array: [types, [[attr, kind]...], [[attr, minLon, minLat, maxLon, maxLat]...],
// [[attr, number]...], expiresAtMs].
#include "store/embedded/meta_codec.h"

#include <charconv>
#include <cstdio>
#include <stdexcept>

#include <boost/json.hpp>

namespace allmende::store {

namespace json = boost::json;

namespace {
// Written by hand (no DOM): this runs once per entity write.
void appendString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
}

void appendNumber(std::string& out, double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, end);
}
}  // namespace

std::string encodeMeta(const EntityMeta& meta) {
  std::string out;
  out.reserve(512);
  out += "[[";
  for (size_t i = 0; i < meta.types.size(); ++i) {
    if (i) out.push_back(',');
    appendString(out, meta.types[i]);
  }
  out += "],[";
  for (size_t i = 0; i < meta.attrs.size(); ++i) {
    out += i ? ",[" : "[";
    appendString(out, meta.attrs[i].first);
    out.push_back(',');
    appendString(out, meta.attrs[i].second);
    out.push_back(']');
  }
  out += "],[";
  for (size_t i = 0; i < meta.geometries.size(); ++i) {
    const auto& [attr, b] = meta.geometries[i];
    out += i ? ",[" : "[";
    appendString(out, attr);
    for (double d : {b.minLon, b.minLat, b.maxLon, b.maxLat}) {
      out.push_back(',');
      appendNumber(out, d);
    }
    out.push_back(']');
  }
  out += "],[";
  for (size_t i = 0; i < meta.numbers.size(); ++i) {
    out += i ? ",[" : "[";
    appendString(out, meta.numbers[i].first);
    out.push_back(',');
    appendNumber(out, meta.numbers[i].second);
    out.push_back(']');
  }
  out += "],";
  out += std::to_string(meta.expiresAtMs);
  out.push_back(']');
  return out;
}

EntityMeta decodeMeta(std::string_view text) {
  EntityMeta meta;
  try {
    auto v = json::parse(text).as_array();
    for (const auto& t : v.at(0).as_array()) meta.types.emplace_back(t.as_string());
    for (const auto& a : v.at(1).as_array())
      meta.attrs.emplace_back(std::string(a.at(0).as_string()), std::string(a.at(1).as_string()));
    for (const auto& g : v.at(2).as_array())
      meta.geometries.emplace_back(std::string(g.at(0).as_string()),
                                   query::GeoBox{g.at(1).to_number<double>(), g.at(2).to_number<double>(),
                                                 g.at(3).to_number<double>(), g.at(4).to_number<double>()});
    for (const auto& n : v.at(3).as_array())
      meta.numbers.emplace_back(std::string(n.at(0).as_string()), n.at(1).to_number<double>());
    meta.expiresAtMs = v.at(4).to_number<int64_t>();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("unreadable index record: ") + e.what());
  }
  return meta;
}

}  // namespace allmende::store
