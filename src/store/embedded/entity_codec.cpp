// Layout: optionally the byte kFacts and the index record (varint length,
// bytes); then the byte kBinary and one value. A value is a tag byte and its
// data: null/false/true (no data), int64 (zigzag varint), uint64 (varint),
// double (8 bytes, little-endian IEEE 754), string (varint length, bytes),
// array (varint count, values), object (varint count, then per member a key and
// a value), SameInt64 (no data: the int64 written last in this value, as the
// timestamps of an entity's attributes mostly are), KeyString (a string in the
// key form: the strings of "type" members, i.e. entity types, attribute kinds
// and GeoJSON types, repeat across entities). A key is a varint k: k even is
// dictionary number k/2; k odd is text of length k/2 that follows. Varints are
// LEB128.
#include "store/embedded/entity_codec.h"

#include <optional>
#include <stdexcept>

#include "store/embedded/binary_io.h"

namespace allmende::store {

namespace json = boost::json;
using namespace binary;

namespace {

constexpr char kBinary = '\xB1';  // JSON text starts with '{'
constexpr char kFacts = '\xB3';   // the index record comes first: varint length, bytes
enum Tag : uint8_t { Null, False, True, Int64, Uint64, Double, String, Array, Object, SameInt64, KeyString };

class Encoder {
 public:
  Encoder(std::string& out, KeyWriter& keys) : out_(out), keys_(keys) {}

  void value(const json::value& v, bool typeMember = false) {
    switch (v.kind()) {
      case json::kind::null: out_.push_back(Null); break;
      case json::kind::bool_: out_.push_back(v.get_bool() ? True : False); break;
      case json::kind::int64:
        if (lastInt_ && *lastInt_ == v.get_int64()) {
          out_.push_back(SameInt64);
          break;
        }
        out_.push_back(Int64);
        putSigned(out_, v.get_int64());
        lastInt_ = v.get_int64();
        break;
      case json::kind::uint64:
        out_.push_back(Uint64);
        putVarint(out_, v.get_uint64());
        break;
      case json::kind::double_: {
        out_.push_back(Double);
        putDouble(out_, v.get_double());
        break;
      }
      case json::kind::string:
        if (typeMember) {
          out_.push_back(KeyString);
          keys_.put(out_, v.get_string());
        } else {
          out_.push_back(String);
          putBytes(out_, v.get_string());
        }
        break;
      case json::kind::array:
        out_.push_back(Array);
        putVarint(out_, v.get_array().size());
        for (const auto& e : v.get_array()) value(e, typeMember);
        break;
      case json::kind::object: object(v.get_object()); break;
    }
  }

  void object(const json::object& o) {
    out_.push_back(Object);
    putVarint(out_, o.size());
    for (const auto& [k, e] : o) {
      keys_.put(out_, k);
      value(e, k == "type");
    }
  }

 private:
  std::string& out_;
  KeyWriter& keys_;
  std::optional<int64_t> lastInt_;
};

}  // namespace

ObjectReader::ObjectReader(std::string_view in, const KeyDictionary& keys, json::storage_ptr sp)
    : in_(in, keys), storage_(std::move(sp)), stack_(json::storage_ptr(), temp_, sizeof temp_) {
  stack_.reset(storage_);
}

json::object ObjectReader::object() {
  if (in_.byte() != Object) Input::bad("stored entity");
  members(0);
  if (!in_.done()) Input::bad("stored entity");
  return std::move(stack_.release().get_object());
}

uint64_t ObjectReader::memberCount() {
  if (in_.byte() != Object) Input::bad("stored entity");
  return in_.count();
}

std::string_view ObjectReader::name() { return in_.key(); }

json::value ObjectReader::memberValue() {
  switch (in_.peek()) {  // scalars without the value stack
    case Double: in_.byte(); return in_.number();
    case Int64: in_.byte(); lastInt_ = in_.signedVarint(); return *lastInt_;
    case KeyString: in_.byte(); return json::value(in_.key(), storage_);
    default: break;
  }
  value(1);
  auto v = stack_.release();
  stack_.reset(storage_);
  return v;
}

void ObjectReader::skip(int depth) {
  if (depth > 64) Input::bad("stored entity");
  switch (in_.byte()) {
    case Null: case False: case True: case SameInt64: break;
    case Int64: lastInt_ = in_.signedVarint(); break;
    case KeyString: in_.key(); break;
    case Uint64: in_.varint(); break;
    case Double: in_.number(); break;
    case String: in_.bytes(); break;
    case Array:
      for (uint64_t n = in_.count(); n > 0; --n) skip(depth + 1);
      break;
    case Object:
      for (uint64_t n = in_.count(); n > 0; --n) {
        in_.key();
        skip(depth + 1);
      }
      break;
    default: Input::bad("stored entity");
  }
}

void ObjectReader::value(int depth) {
  if (depth > 64) Input::bad("stored entity");
  switch (in_.byte()) {
    case Null: stack_.push_null(); break;
    case False: stack_.push_bool(false); break;
    case True: stack_.push_bool(true); break;
    case Int64:
      lastInt_ = in_.signedVarint();
      stack_.push_int64(*lastInt_);
      break;
    case SameInt64:
      if (!lastInt_) Input::bad("stored entity");
      stack_.push_int64(*lastInt_);
      break;
    case KeyString: stack_.push_string(in_.key()); break;
    case Uint64: stack_.push_uint64(in_.varint()); break;
    case Double: stack_.push_double(in_.number()); break;
    case String: stack_.push_string(in_.bytes()); break;
    case Array: {
      uint64_t n = in_.count();
      for (uint64_t i = 0; i < n; ++i) value(depth + 1);
      stack_.push_array(n);
      break;
    }
    case Object: members(depth); break;
    default: Input::bad("stored entity");
  }
}

void ObjectReader::members(int depth) {
  uint64_t n = in_.count();
  for (uint64_t i = 0; i < n; ++i) {
    stack_.push_key(in_.key());
    value(depth + 1);
  }
  stack_.push_object(n);
}

std::string encodeEntity(const json::object& entity, std::string_view facts, binary::KeyWriter& keys) {
  std::string out;
  out.reserve(1024);
  out.push_back(kFacts);
  putBytes(out, facts);
  out.push_back(kBinary);
  encodeObject(out, entity, keys);
  return out;
}

void encodeObject(std::string& out, const json::object& object, binary::KeyWriter& keys) {
  Encoder(out, keys).object(object);
}

json::object decodeObject(std::string_view in, const KeyDictionary& keys,
                          json::storage_ptr storage) {
  return ObjectReader(in, keys, std::move(storage)).object();
}

namespace {
// The index record and the entity of a stored value (no record: nullopt).
std::pair<std::optional<std::string_view>, std::string_view> split(std::string_view stored) {
  if (stored.empty() || stored[0] != kFacts) return {std::nullopt, stored};
  static const KeyDictionary none;  // the record's length needs no key
  Input in(stored.substr(1), none);
  auto facts = in.bytes();
  return {facts, stored.substr(facts.data() + facts.size() - stored.data())};
}
}  // namespace

std::optional<std::string_view> factsOf(std::string_view stored) { return split(stored).first; }

json::object decodeEntity(std::string_view stored, const KeyDictionary& keys, json::storage_ptr storage) {
  stored = split(stored).second;
  if (stored.empty() || stored[0] != kBinary) {
    json::error_code ec;
    auto v = json::parse(stored, ec, std::move(storage));
    if (ec || !v.is_object()) throw std::runtime_error("unreadable stored entity");
    return std::move(v.get_object());
  }
  return decodeObject(stored.substr(1), keys, std::move(storage));
}

}  // namespace allmende::store
