// A compact JSON writer: RFC 8259 string escaping, shortest round-trip doubles,
// always valid UTF-8 (a byte of a string that is not UTF-8, as a path or
// header echoed in an error may hold, is written as U+FFFD).
#include "common/json_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include <boost/json.hpp>

#include "common/utf8.h"

namespace allmende {

namespace json = boost::json;

namespace {

// True if any of the eight bytes at p is below 0x20, '"', '\\' or not ASCII (SWAR:
// a byte of x - 0x01..01 * n has its top bit set where x's byte was below n, n <= 0x80).
bool needsEscape(const char* p) {
  constexpr uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  uint64_t x;
  std::memcpy(&x, p, 8);
  auto below = [&](uint64_t v, unsigned n) { return (v - ones * n) & ~v & highs; };
  return (below(x, 0x20) | below(x ^ (ones * '"'), 1) | below(x ^ (ones * '\\'), 1) |
          (x & highs)) != 0;
}

void writeString(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the current stretch that needs no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    // Eight bytes at a time while none of them is a control character, '"' or '\\'.
    while (i + 8 <= s.size() && !needsEscape(s.data() + i)) i += 8;
    if (i == s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      if (size_t n = utf8SequenceLength(s, i)) {
        i += n - 1;
        continue;
      }
      out.append(s.data() + run, i - run);
      run = i + 1;
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

template <class Integer>
void writeInteger(std::string& out, Integer n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

void writeDouble(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, end);
}

// Writes v; false as soon as the text is longer than maxBytes (it then stops,
// leaving the text unfinished).
bool write(std::string& out, const json::value& v, size_t maxBytes) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: writeInteger(out, v.get_int64()); break;
    case json::kind::uint64: writeInteger(out, v.get_uint64()); break;
    case json::kind::double_: writeDouble(out, v.get_double()); break;
    case json::kind::string: writeString(out, v.get_string()); break;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        if (!write(out, e, maxBytes)) return false;
      }
      out.push_back(']');
      break;
    }
    case json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        writeString(out, k);
        out.push_back(':');
        if (!write(out, e, maxBytes)) return false;
      }
      out.push_back('}');
      break;
    }
  }
  return out.size() <= maxBytes;
}

}  // namespace

std::string toJsonText(const json::value& value) {
  return *toJsonText(value, std::numeric_limits<size_t>::max());
}

std::optional<std::string> toJsonText(const json::value& value, size_t maxBytes) {
  std::string out;
  out.reserve(4096);
  if (!appendJsonText(out, value, maxBytes)) return std::nullopt;
  return out;
}

bool appendJsonText(std::string& out, const json::value& value, size_t maxBytes) {
  return write(out, value, maxBytes);
}

void appendJsonText(std::string& out, const json::value& value) {
  write(out, value, std::numeric_limits<size_t>::max());
}

void appendJsonString(std::string& out, std::string_view s) { writeString(out, s); }

void appendMemberToObject(std::string& out, std::string_view key, const json::value& value) {
  out.pop_back();  // the object's '}'
  if (out.back() != '{') out.push_back(',');
  writeString(out, key);
  out.push_back(':');
  appendJsonText(out, value);
  out.push_back('}');
}

}  // namespace allmende
