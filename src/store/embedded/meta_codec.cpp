// Layout: the byte kBinary; the types (count, names); the attributes (count,
// pairs of name and kind); the geometries (count, name and four doubles:
// minLon, minLat, maxLon, maxLat); the numbers (count, attribute name, a
// double and a byte: 1 if sole); the strings (count, attribute name, the
// string's bytes); the times and the observedAt times (each: count,
// attribute name, a double); createdAtMs, modifiedAtMs and expiresAtMs
// (zigzag varints). Names are dictionary strings and everything else as in
// binary_io.h. Earlier versions wrote no strings and times: the byte
// kBinaryNoStrings, or kBinaryUnmarked and the numbers without the sole byte,
// or a JSON array [types, [[attr, kind]...], [[attr, minLon, minLat, maxLon,
// maxLat]...], [[attr, number]...], expiresAtMs]; their numbers read as not
// sole. Their entities are written anew at start (RocksStore::moveIndexRecords),
// so that the string and time indexes miss none.
#include "store/embedded/meta_codec.h"

#include <stdexcept>

#include <boost/json.hpp>

#include "store/embedded/binary_io.h"

namespace allmende::store {

namespace json = boost::json;
using namespace binary;

namespace {

constexpr char kBinary = '\xB4';  // JSON text starts with '['
constexpr char kBinaryNoStrings = '\xB3';
constexpr char kBinaryUnmarked = '\xB2';

EntityMeta decodeJson(std::string_view text) {
  EntityMeta meta;
  try {
    auto parsed = std::make_shared<const json::value>(json::parse(text));
    meta.backing = parsed;
    const auto& v = parsed->as_array();
    for (const auto& t : v.at(0).as_array()) meta.types.emplace_back(t.as_string());
    for (const auto& a : v.at(1).as_array())
      meta.attrs.emplace_back(a.at(0).as_string(), a.at(1).as_string());
    for (const auto& g : v.at(2).as_array())
      meta.geometries.emplace_back(g.at(0).as_string(),
                                   query::GeoBox{g.at(1).to_number<double>(), g.at(2).to_number<double>(),
                                                 g.at(3).to_number<double>(), g.at(4).to_number<double>()});
    for (const auto& n : v.at(3).as_array())
      meta.numbers.push_back({n.at(0).as_string(), n.at(1).to_number<double>()});
    meta.expiresAtMs = v.at(4).to_number<int64_t>();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("unreadable index record: ") + e.what());
  }
  return meta;
}

}  // namespace

bool isCurrentMeta(std::string_view record) { return !record.empty() && record[0] == kBinary; }

std::string encodeMeta(const EntityMeta& meta, binary::KeyWriter& keys) {
  std::string out;
  out.reserve(128);
  out.push_back(kBinary);
  putVarint(out, meta.types.size());
  for (const auto& t : meta.types) keys.put(out, t);
  putVarint(out, meta.attrs.size());
  for (const auto& [attr, kind] : meta.attrs) {
    keys.put(out, attr);
    keys.put(out, kind);
  }
  putVarint(out, meta.geometries.size());
  for (const auto& [attr, b] : meta.geometries) {
    keys.put(out, attr);
    for (double d : {b.minLon, b.minLat, b.maxLon, b.maxLat}) putDouble(out, d);
  }
  putVarint(out, meta.numbers.size());
  for (const auto& n : meta.numbers) {
    keys.put(out, n.attribute);
    putDouble(out, n.value);
    out.push_back(n.sole ? 1 : 0);
  }
  putVarint(out, meta.strings.size());
  for (const auto& s : meta.strings) {
    keys.put(out, s.attribute);
    putBytes(out, s.value);
  }
  for (const auto* times : {&meta.times, &meta.observedAt}) {
    putVarint(out, times->size());
    for (const auto& t : *times) {
      keys.put(out, t.attribute);
      putDouble(out, t.value);
    }
  }
  putSigned(out, meta.createdAtMs);
  putSigned(out, meta.modifiedAtMs);
  putSigned(out, meta.expiresAtMs);
  return out;
}

EntityMeta decodeMeta(std::string_view record, const KeyDictionary& keys) {
  if (record.empty() || (record[0] != kBinary && record[0] != kBinaryNoStrings && record[0] != kBinaryUnmarked))
    return decodeJson(record);
  bool marked = record[0] != kBinaryUnmarked;
  EntityMeta meta;
  auto copy = std::make_shared<const std::string>(record);  // names written as text are views of it
  meta.backing = copy;
  Input in(std::string_view(*copy).substr(1), keys);
  for (uint64_t n = in.count(); n--;) meta.types.emplace_back(in.key());
  for (uint64_t n = in.count(); n--;) {
    auto attr = in.key();
    meta.attrs.emplace_back(attr, in.key());
  }
  for (uint64_t n = in.count(); n--;) {
    auto attr = in.key();
    query::GeoBox b;
    b.minLon = in.number();
    b.minLat = in.number();
    b.maxLon = in.number();
    b.maxLat = in.number();
    meta.geometries.emplace_back(attr, b);
  }
  for (uint64_t n = in.count(); n--;) {
    auto attr = in.key();
    double value = in.number();
    meta.numbers.push_back({attr, value, marked && in.byte() != 0});
  }
  if (record[0] == kBinary) {
    for (uint64_t n = in.count(); n--;) {
      auto attr = in.key();
      meta.strings.push_back({attr, in.bytes()});
    }
    for (auto* times : {&meta.times, &meta.observedAt})
      for (uint64_t n = in.count(); n--;) {
        auto attr = in.key();
        times->push_back({attr, in.number()});
      }
    meta.createdAtMs = in.signedVarint();
    meta.modifiedAtMs = in.signedVarint();
  }
  meta.expiresAtMs = in.signedVarint();
  if (!in.done()) Input::bad("index record");
  return meta;
}

}  // namespace allmende::store
