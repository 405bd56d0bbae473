// UTF-8 well-formedness, shared by the JSON writer (which never writes
// anything else) and error details (which show a stray byte as \xNN).
#pragma once

#include <cstddef>
#include <string_view>

namespace allmende {

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong
// form, surrogate or code point above U+10FFFF; 1 for ASCII), or 0 if there is none.
inline size_t utf8SequenceLength(std::string_view s, size_t i) {
  auto at = [&s](size_t k) -> unsigned { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  auto follows = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) { return at(k) >= lo && at(k) <= hi; };
  unsigned c = at(i);
  if (c < 0x80) return i < s.size() ? 1 : 0;
  if (c >= 0xC2 && c <= 0xDF) return follows(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF)
    return follows(i + 1, c == 0xE0 ? 0xA0 : 0x80, c == 0xED ? 0x9F : 0xBF) && follows(i + 2) ? 3 : 0;
  if (c >= 0xF0 && c <= 0xF4)
    return follows(i + 1, c == 0xF0 ? 0x90 : 0x80, c == 0xF4 ? 0x8F : 0xBF) && follows(i + 2) && follows(i + 3) ? 4
                                                                                                             : 0;
  return 0;
}

}  // namespace allmende
