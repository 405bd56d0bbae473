// Layout: the byte kBinary, then one value. A value is a tag byte and its data:
// null/false/true (no data), int64 (zigzag varint), uint64 (varint), double
// (8 bytes, little-endian IEEE 754), string (varint length, bytes), array
// (varint count, values), object (varint count, then per member a key and a
// value). A key is a varint k: k even is dictionary number k/2; k odd is text
// of length k/2 that follows. Varints are LEB128.
#include "store/embedded/entity_codec.h"

#include <stdexcept>

#include "store/embedded/binary_io.h"

namespace allmende::store {

namespace json = boost::json;
using namespace binary;

namespace {

constexpr char kBinary = '\xB1';  // JSON text starts with '{'
constexpr char kFacts = '\xB3';   // the index record comes first: varint length, bytes
enum Tag : uint8_t { Null, False, True, Int64, Uint64, Double, String, Array, Object };

void encodeObject(std::string& out, const json::object& o, const KeyDictionary::Ids& ids,
                  std::vector<std::string>& unnumbered);

void encodeValue(std::string& out, const json::value& v, const KeyDictionary::Ids& ids,
                 std::vector<std::string>& unnumbered) {
  switch (v.kind()) {
    case json::kind::null: out.push_back(Null); break;
    case json::kind::bool_: out.push_back(v.get_bool() ? True : False); break;
    case json::kind::int64:
      out.push_back(Int64);
      putSigned(out, v.get_int64());
      break;
    case json::kind::uint64:
      out.push_back(Uint64);
      putVarint(out, v.get_uint64());
      break;
    case json::kind::double_: {
      out.push_back(Double);
      putDouble(out, v.get_double());
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
    case json::kind::object: encodeObject(out, v.get_object(), ids, unnumbered); break;
  }
}

void encodeObject(std::string& out, const json::object& o, const KeyDictionary::Ids& ids,
                  std::vector<std::string>& unnumbered) {
  out.push_back(Object);
  putVarint(out, o.size());
  for (const auto& [k, e] : o) {
    putKey(out, k, ids, unnumbered);
    encodeValue(out, e, ids, unnumbered);
  }
}

// Builds the DOM the way Boost.JSON's parser does (a value_stack: objects are
// made from their members at once, not member by member).
class Reader {
 public:
  Reader(std::string_view in, const KeyDictionary& keys, json::storage_ptr sp)
      : in_(in, keys), stack_(json::storage_ptr(), temp_, sizeof temp_) {
    stack_.reset(std::move(sp));
  }

  json::object entity() {
    if (in_.byte() != Object) Input::bad("stored entity");
    object(0);
    if (!in_.done()) Input::bad("stored entity");
    return std::move(stack_.release().get_object());
  }

 private:
  void value(int depth) {
    if (depth > 64) Input::bad("stored entity");
    switch (in_.byte()) {
      case Null: stack_.push_null(); break;
      case False: stack_.push_bool(false); break;
      case True: stack_.push_bool(true); break;
      case Int64: stack_.push_int64(in_.signedVarint()); break;
      case Uint64: stack_.push_uint64(in_.varint()); break;
      case Double: stack_.push_double(in_.number()); break;
      case String: stack_.push_string(in_.bytes()); break;
      case Array: {
        uint64_t n = in_.count();
        for (uint64_t i = 0; i < n; ++i) value(depth + 1);
        stack_.push_array(n);
        break;
      }
      case Object: object(depth); break;
      default: Input::bad("stored entity");
    }
  }

  void object(int depth) {
    uint64_t n = in_.count();
    for (uint64_t i = 0; i < n; ++i) {
      stack_.push_key(in_.key());
      value(depth + 1);
    }
    stack_.push_object(n);
  }

  Input in_;
  unsigned char temp_[4096];
  json::value_stack stack_;
};

}  // namespace

std::string encodeEntity(const json::object& entity, std::string_view facts, const KeyDictionary::Ids& ids,
                         std::vector<std::string>& unnumbered) {
  std::string out;
  out.reserve(1024);
  out.push_back(kFacts);
  putBytes(out, facts);
  out.push_back(kBinary);
  encodeObject(out, entity, ids, unnumbered);
  return out;
}

std::string withFacts(std::string_view stored, std::string_view facts) {
  std::string out(1, kFacts);
  putBytes(out, facts);
  out.append(stored);
  return out;
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
  return Reader(stored.substr(1), keys, std::move(storage)).entity();
}

}  // namespace allmende::store
