// Character-level checks; no regular expressions on these hot paths.
#include "ngsi/syntax.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>

namespace allmende::ngsi {

namespace {
std::atomic<size_t> maxUriBytes{2048};  // written once at start, read by every request
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isAlnum(char c) { return isAlpha(c) || (c >= '0' && c <= '9'); }

// ASCII characters that may not appear in a URI (controls, space, DEL, <>"{}|\^`),
// and in a name (controls, space, DEL, <>"'=;()&\?*,), as tables: these checks
// run for every id and attribute name written.
struct Forbidden {
  bool uri[128] = {};
  bool name[128] = {};
  constexpr Forbidden() {
    for (int c = 0; c <= 0x20; ++c) uri[c] = name[c] = true;
    uri[0x7f] = name[0x7f] = true;
    for (char c : std::string_view("<>\"{}|\\^`")) uri[static_cast<int>(c)] = true;
    for (char c : std::string_view("<>\"'=;()&\\?*,")) name[static_cast<int>(c)] = true;
  }
};
constexpr Forbidden kForbidden;
}  // namespace

// Decodes the next UTF-8 code point at s[i] (advancing i); -1 if malformed.
long nextCodePoint(std::string_view s, size_t& i) {
  auto c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  int extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
  if (extra < 0 || i + static_cast<size_t>(extra) > s.size()) return -1;
  long cp = c & (0x3F >> extra);
  for (int k = 0; k < extra; ++k) {
    auto cc = static_cast<unsigned char>(s[i++]);
    if ((cc & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (cc & 0x3F);
  }
  return cp;
}

// Invisible, formatting, filler and non-characters: they make two different
// identifiers look the same, so identifiers must not contain them.
bool isInvisibleOrNonCharacter(long cp) {
  return cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD || cp == 0x115F || cp == 0x1160 ||
         cp == 0x180E || (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
         (cp >= 0x205F && cp <= 0x206F) || cp == 0x2800 || cp == 0x3000 || cp == 0x3164 ||
         (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF ||
         cp == 0xFFA0 || (cp >= 0xFFF0 && cp <= 0xFFFF) || (cp >= 0xE0000 && cp <= 0xE0FFF) ||
         (cp & 0xFFFE) == 0xFFFE || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF;
}

void setMaxUriLength(size_t bytes) {
  maxUriBytes.store(bytes, std::memory_order_relaxed);
}
size_t maxUriLength() {
  return maxUriBytes.load(std::memory_order_relaxed);
}

bool isUri(std::string_view s) {
  if (s.size() > maxUriLength()) return false;
  size_t colon = std::string_view::npos;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {  // ASCII, the usual case
      if (kForbidden.uri[c]) return false;
      if (c == ':' && colon == std::string_view::npos) colon = i;
      ++i;
      continue;
    }
    long cp = nextCodePoint(s, i);
    if (cp < 0 || isInvisibleOrNonCharacter(cp)) return false;
  }
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= s.size()) return false;
  if (!isAlpha(s[0])) return false;
  for (size_t i = 1; i < colon; ++i)
    if (!isAlnum(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.') return false;
  return true;
}

std::string notUriDetail(std::string_view what, std::string_view s) {
  if (s.size() > maxUriLength())
    return std::string(what) + " is " + std::to_string(s.size()) + " bytes long; URIs of at most " +
           std::to_string(maxUriLength()) + " bytes are accepted (--max-uri-length)";
  size_t shown = std::min<size_t>(s.size(), 200);  // cut before a character, not inside one:
  while (shown < s.size() && (static_cast<unsigned char>(s[shown]) & 0xC0) == 0x80) --shown;
  std::string quoted(s.substr(0, shown));
  if (shown < s.size()) quoted += "...";
  return std::string(what) + " '" + quoted + "' is not a URI";
}

bool isValidName(std::string_view s) {
  if (s.empty() || s.size() > 512) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && kForbidden.name[u]) return false;
  }
  return true;
}

bool isValidScope(std::string_view s) {
  if (s.size() < 2 || s[0] != '/') return false;
  bool segmentStart = true;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == '/') {
      if (segmentStart) return false;
      segmentStart = true;
      continue;
    }
    if (!isAlnum(c) && c != '_' && c != '-' && c != '.' && c != '~' && !(c & 0x80)) return false;
    segmentStart = false;
  }
  return !segmentStart;
}

bool isValidLanguageTag(std::string_view s) {
  if (s == "@none") return true;
  if (s.empty() || s.size() > 35) return false;
  size_t partLen = 0;
  for (char c : s) {
    if (c == '-') {
      if (partLen == 0) return false;
      partLen = 0;
      continue;
    }
    if (!isAlnum(c) || ++partLen > 8) return false;
  }
  return partLen > 0 && isAlpha(s[0]);
}

bool isValidTenant(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  bool segmentStart = true;
  for (char c : s) {
    if (segmentStart && (c == '/' || c == '.')) return false;  // "", "//", "/x", ".", "..", ".x"
    segmentStart = c == '/';
    if (!isAlnum(c) && c != '_' && c != '-' && c != '.' && c != ':' && c != '/') return false;
  }
  return !segmentStart;  // "x/"
}

std::string randomUrn(std::string_view kind) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out = "urn:ngsi-ld:" + std::string(kind) + ":";
  for (int half = 0; half < 2; ++half) {
    auto bits = rng();
    for (int i = 60; i >= 0; i -= 4) out += "0123456789abcdef"[(bits >> i) & 0xf];
  }
  return out;
}

}  // namespace allmende::ngsi
