// Layout: the byte kBinary, then one value. A value is a tag byte and its data:
// null/false/true (no data), int64 (zigzag varint), uint64 (varint), double
// (8 bytes, little-endian IEEE 754), string (varint length, bytes), array
// (varint count, values), object (varint count, then per member a key and a
// value). A key is a varint k: k even is dictionary number k/2; k odd is text
// of length k/2 that follows. Varints are LEB128.
#include "store/embedded/entity_codec.h"

#include <bit>
#include <cstring>
#include <stdexcept>

namespace allmende::store {

namespace json = boost::json;

namespace {

constexpr char kBinary = '\xB1';  // JSON text starts with '{'
enum Tag : uint8_t { Null, False, True, Int64, Uint64, Double, String, Array, Object };

void putVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void putBytes(std::string& out, std::string_view s) {
  putVarint(out, s.size());
  out.append(s);
}

void encodeValue(std::string& out, const json::value& v, const KeyDictionary::Ids& ids,
                 std::vector<std::string>& unnumbered) {
  switch (v.kind()) {
    case json::kind::null: out.push_back(Null); break;
    case json::kind::bool_: out.push_back(v.get_bool() ? True : False); break;
    case json::kind::int64: {
      int64_t n = v.get_int64();
      out.push_back(Int64);
      putVarint(out, (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63));
      break;
    }
    case json::kind::uint64:
      out.push_back(Uint64);
      putVarint(out, v.get_uint64());
      break;
    case json::kind::double_: {
      out.push_back(Double);
      auto bits = std::bit_cast<uint64_t>(v.get_double());
      for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
      break;
    }
    case json::kind::string:
      out.push_back(String);
      putBytes(out, v.get_string());
      break;
    case json::kind::array:
      out.push_back(Array);
      putVarint(out, v.get_array().size());
      for (const auto& e : v.get_array()) encodeValue(out, e, ids, unnumbered);
      break;
    case json::kind::object:
      out.push_back(Object);
      putVarint(out, v.get_object().size());
      for (const auto& [k, e] : v.get_object()) {
        if (auto it = ids.find(std::string_view(k)); it != ids.end()) {
          putVarint(out, uint64_t(it->second) << 1);
        } else {
          putVarint(out, uint64_t(k.size()) << 1 | 1);
          out.append(k.data(), k.size());
          unnumbered.emplace_back(k);
        }
        encodeValue(out, e, ids, unnumbered);
      }
      break;
  }
}

// Builds the DOM the way Boost.JSON's parser does (a value_stack: objects are
// made from their members at once, not member by member).
class Reader {
 public:
  Reader(std::string_view in, const KeyDictionary& keys, json::storage_ptr sp)
      : p_(in.data()), end_(in.data() + in.size()), keys_(keys), stack_(json::storage_ptr(), temp_, sizeof temp_) {
    stack_.reset(std::move(sp));
  }

  json::object entity() {
    if (byte() != Object) bad();
    object(0);
    if (p_ != end_) bad();
    return std::move(stack_.release().get_object());
  }

 private:
  [[noreturn]] static void bad() { throw std::runtime_error("unreadable stored entity"); }

  void value(int depth) {
    if (depth > 64) bad();
    switch (byte()) {
      case Null: stack_.push_null(); break;
      case False: stack_.push_bool(false); break;
      case True: stack_.push_bool(true); break;
      case Int64: {
        uint64_t z = varint();
        stack_.push_int64(static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1)));
        break;
      }
      case Uint64: stack_.push_uint64(varint()); break;
      case Double: {
        uint64_t bits = 0;
        auto s = bytes(8);
        for (int i = 0; i < 8; ++i) bits |= uint64_t(static_cast<uint8_t>(s[i])) << (8 * i);
        stack_.push_double(std::bit_cast<double>(bits));
        break;
      }
      case String: stack_.push_string(bytes(varint())); break;
      case Array: {
        uint64_t n = count();
        for (uint64_t i = 0; i < n; ++i) value(depth + 1);
        stack_.push_array(n);
        break;
      }
      case Object: object(depth); break;
      default: bad();
    }
  }

  void object(int depth) {
    uint64_t n = count();
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t k = varint();
      stack_.push_key(k & 1 ? bytes(k >> 1) : keys_.key(static_cast<uint32_t>(k >> 1)));
      value(depth + 1);
    }
    stack_.push_object(n);
  }

  uint8_t byte() {
    if (p_ == end_) bad();
    return static_cast<uint8_t>(*p_++);
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = byte();
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    bad();
  }
  uint64_t count() {  // every element takes at least one byte
    uint64_t n = varint();
    if (n > uint64_t(end_ - p_)) bad();
    return n;
  }
  std::string_view bytes(uint64_t n) {
    if (n > uint64_t(end_ - p_)) bad();
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }

  const char* p_;
  const char* end_;
  const KeyDictionary& keys_;
  unsigned char temp_[4096];
  json::value_stack stack_;
};

}  // namespace

std::string encodeEntity(const json::object& entity, const KeyDictionary::Ids& ids,
                         std::vector<std::string>& unnumbered) {
  std::string out;
  out.reserve(512);
  out.push_back(kBinary);
  encodeValue(out, entity, ids, unnumbered);
  return out;
}

json::object decodeEntity(std::string_view stored, const KeyDictionary& keys, json::storage_ptr storage) {
  if (stored.empty() || stored[0] != kBinary) {
    json::error_code ec;
    auto v = json::parse(stored, ec, std::move(storage));
    if (ec || !v.is_object()) throw std::runtime_error("unreadable stored entity");
    return std::move(v.get_object());
  }
  return Reader(stored.substr(1), keys, std::move(storage)).entity();
}

}  // namespace allmende::store
