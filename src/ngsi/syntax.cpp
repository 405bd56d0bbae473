// Character-level checks; no regular expressions on these hot paths.
#include "ngsi/syntax.h"

#include <cctype>

namespace allmende::ngsi {

namespace {
bool isAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool forbiddenInUri(char c) {
  return static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == '"' || c == '{' ||
         c == '}' || c == '|' || c == '\\' || c == '^' || c == '`' || c == 0x7f;
}
}  // namespace

bool isUri(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= s.size()) return false;
  if (!isAlpha(s[0])) return false;
  for (size_t i = 1; i < colon; ++i)
    if (!isAlnum(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.') return false;
  for (char c : s)
    if (forbiddenInUri(c)) return false;
  return true;
}

bool isValidName(std::string_view s) {
  if (s.empty() || s.size() > 512) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == '"' || c == '\'' ||
        c == '=' || c == ';' || c == '(' || c == ')' || c == '&' || c == '\\' || c == '?' ||
        c == '*' || c == ',' || c == 0x7f)
      return false;
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
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!isAlnum(c) && c != '_' && c != '-' && c != '.' && c != ':' && c != '/') return false;
  return true;
}

}  // namespace allmende::ngsi
