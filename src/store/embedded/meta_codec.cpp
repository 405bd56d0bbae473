// A compact JSON array: [types, [[attr, kind]...], [[attr, minLon, minLat, maxLon, maxLat]...],
// [[attr, number]...], expiresAtMs].
#include "store/embedded/meta_codec.h"

#include <stdexcept>

#include <boost/json.hpp>

namespace allmende::store {

namespace json = boost::json;

std::string encodeMeta(const EntityMeta& meta) {
  json::array types, attrs, geometries, numbers;
  for (const auto& t : meta.types) types.emplace_back(t);
  for (const auto& [attr, kind] : meta.attrs) attrs.push_back(json::array{attr, kind});
  for (const auto& [attr, b] : meta.geometries)
    geometries.push_back(json::array{attr, b.minLon, b.minLat, b.maxLon, b.maxLat});
  for (const auto& [attr, n] : meta.numbers) numbers.push_back(json::array{attr, n});
  return json::serialize(json::array{types, attrs, geometries, numbers, meta.expiresAtMs});
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
