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
  if (v < 0x80) return out.push_back(static_cast<char>(v));  // most: key numbers, counts, lengths
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

// Writes dictionary strings: varint k, k even = number k/2, k odd = text of
// length k/2 that follows. Strings without a number are collected in
// unnumbered() (for KeyDictionary::assign, so that later writes use numbers).
// The values of a batch mostly share their shape: the writer remembers the
// strings of the value before in their order (restart() begins the next
// value), so that each string of a value of the same shape finds its number by
// one comparison instead of a hash look-up. A string that differs is looked up
// and takes the remembered one's place.
class KeyWriter {
 public:
  explicit KeyWriter(const KeyDictionary::Ids& ids) : ids_(ids) {}

  void restart() { next_ = 0; }

  void put(std::string& out, std::string_view key) {
    if (next_ < seen_.size() && seen_[next_].first == key) return write(out, key, seen_[next_++].second);
    auto it = ids_.find(key);
    // Remembered as a view of the dictionary's own string (the snapshot is immutable).
    std::pair<std::string_view, uint32_t> found{{}, kText};
    if (it != ids_.end()) found = {it->first, it->second};
    if (next_ < seen_.size())
      seen_[next_] = found;
    else
      seen_.push_back(found);
    ++next_;
    write(out, key, found.second);
  }

  const std::vector<std::string>& unnumbered() const { return unnumbered_; }

 private:
  static constexpr uint32_t kText = UINT32_MAX;

  void write(std::string& out, std::string_view key, uint32_t number) {
    if (number != kText) return putVarint(out, uint64_t(number) << 1);
    putVarint(out, uint64_t(key.size()) << 1 | 1);
    out.append(key);
    unnumbered_.emplace_back(key);
  }

  const KeyDictionary::Ids& ids_;
  std::vector<std::pair<std::string_view, uint32_t>> seen_;
  size_t next_ = 0;
  std::vector<std::string> unnumbered_;
};

class Input {
 public:
  Input(std::string_view in, const KeyDictionary& keys) : p_(in.data()), end_(in.data() + in.size()), keys_(keys) {}

  [[noreturn]] static void bad(const char* what) { throw std::runtime_error(std::string("unreadable ") + what); }

  bool done() const { return p_ == end_; }
  uint8_t peek() const {
    if (p_ == end_) bad("store record");
    return static_cast<uint8_t>(*p_);
  }
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
  // Everything not read yet (which is then read).
  std::string_view rest() { return bytes(uint64_t(end_ - p_)); }
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
