// The pieces of the store's binary records (entity_codec.h, meta_codec.h):
// LEB128 varints (zigzag for signed numbers), length-prefixed bytes, strings
// written as dictionary numbers (KeyDictionary) where they have one, and a
// reader that checks every length against the record and throws
// std::runtime_error on damage.
#pragma once

#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "store/embedded/key_dictionary.h"

namespace allmende::store::binary {

inline void putVarint(std::string& out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

// A signed number as a zigzag varint (small magnitudes of either sign take few bytes).
inline void putSigned(std::string& out, int64_t n) {
  putVarint(out, (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63));
}

inline void putBytes(std::string& out, std::string_view s) {
  putVarint(out, s.size());
  out.append(s);
}

inline void putDouble(std::string& out, double d) {
  auto bits = std::bit_cast<uint64_t>(d);
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(bits >> (8 * i));
  out.append(buf, 8);
}

// A dictionary string: varint k, k even = number k/2, k odd = text of length k/2
// that follows. Strings without a number are added to `unnumbered`.
inline void putKey(std::string& out, std::string_view key, const KeyDictionary::Ids& ids,
                   std::vector<std::string>& unnumbered) {
  if (auto it = ids.find(key); it != ids.end()) {
    putVarint(out, uint64_t(it->second) << 1);
    return;
  }
  putVarint(out, uint64_t(key.size()) << 1 | 1);
  out.append(key);
  unnumbered.emplace_back(key);
}

class Input {
 public:
  Input(std::string_view in, const KeyDictionary& keys) : p_(in.data()), end_(in.data() + in.size()), keys_(keys) {}

  [[noreturn]] static void bad(const char* what) { throw std::runtime_error(std::string("unreadable ") + what); }

  bool done() const { return p_ == end_; }
  uint8_t byte() {
    if (p_ == end_) bad("store record");
    return static_cast<uint8_t>(*p_++);
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = byte();
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    bad("store record");
  }
  int64_t signedVarint() {
    uint64_t z = varint();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  // A count of elements that take at least one byte each.
  uint64_t count() {
    uint64_t n = varint();
    if (n > uint64_t(end_ - p_)) bad("store record");
    return n;
  }
  std::string_view bytes(uint64_t n) {
    if (n > uint64_t(end_ - p_)) bad("store record");
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  std::string_view bytes() { return bytes(varint()); }
  double number() {
    uint64_t bits = 0;
    auto s = bytes(8);
    for (int i = 0; i < 8; ++i) bits |= uint64_t(static_cast<uint8_t>(s[i])) << (8 * i);
    return std::bit_cast<double>(bits);
  }
  std::string_view key() {
    uint64_t k = varint();
    return k & 1 ? bytes(k >> 1) : keys_.key(static_cast<uint32_t>(k >> 1));
  }

 private:
  const char* p_;
  const char* end_;
  const KeyDictionary& keys_;
};

}  // namespace allmende::store::binary
