// The boolean skeleton the q and scopeQ languages share (clauses 4.9, 4.19):
// operands joined by ";" (AND, binding tighter) and "|" (OR; a language may
// also accept "," as OR), parentheses, limits on length (4096 characters) and
// nesting (64 levels), and BadRequestData errors that name the position.
// A language derives from ExpressionParser<Language> (CRTP) and provides
// `ExprPtr parseOperand()` and `static constexpr bool kCommaIsOr`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ngsi/error.h"
#include "query/q.h"

namespace allmende::query {

template <class Language>
class ExpressionParser {
 public:
  static constexpr size_t kMaxLength = 4096;
  static constexpr int kMaxDepth = 64;

  // Parses the whole text; `name` ("q", "scopeQ") prefixes error details.
  ExpressionParser(std::string_view text, std::string_view name) : s_(text), name_(name) {}

  ExprPtr parse() {
    if (s_.size() > kMaxLength)
      fail("too complex: longer than " + std::to_string(kMaxLength) + " characters");
    if (s_.empty()) fail("empty expression");
    auto e = parseOr(0);
    if (pos_ < s_.size()) unexpected();
    return e;
  }

 protected:
  [[noreturn]] void fail(const std::string& what) const {
    ngsi::fail(ngsi::ErrorType::BadRequestData, std::string(name_) + ": " + what);
  }
  [[noreturn]] void failAt(const std::string& what, size_t pos) const {
    fail(what + " at position " + std::to_string(pos + 1));
  }
  [[noreturn]] void unexpected() const {
    if (pos_ >= s_.size()) fail("unexpected end of expression");
    failAt("unexpected '" + std::string(1, s_[pos_]) + "'", pos_);
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool take(std::string_view token) {
    if (!s_.substr(pos_).starts_with(token)) return false;
    pos_ += token.size();
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;

 private:
  static ExprPtr combine(Expr::Kind kind, std::vector<ExprPtr> parts) {
    if (parts.size() == 1) return std::move(parts[0]);
    auto e = std::make_shared<Expr>();
    e->kind = kind;
    for (const auto& p : parts) e->linkDepth = std::max(e->linkDepth, p->linkDepth);
    e->children = std::move(parts);
    return e;
  }

  ExprPtr parseOr(int depth) {
    std::vector<ExprPtr> parts{parseAnd(depth)};
    while (take("|") || (Language::kCommaIsOr && take(","))) parts.push_back(parseAnd(depth));
    return combine(Expr::Kind::Or, std::move(parts));
  }

  ExprPtr parseAnd(int depth) {
    std::vector<ExprPtr> parts{parseFactor(depth)};
    while (take(";")) parts.push_back(parseFactor(depth));
    return combine(Expr::Kind::And, std::move(parts));
  }

  ExprPtr parseFactor(int depth) {
    size_t open = pos_;
    if (!take("(")) return static_cast<Language*>(this)->parseOperand();
    if (depth + 1 > kMaxDepth) fail("too complex: more than 64 nested parentheses");
    auto e = parseOr(depth + 1);
    if (!take(")")) {
      if (pos_ >= s_.size()) failAt("unbalanced '('", open);
      unexpected();
    }
    return e;
  }

  std::string_view name_;
};

}  // namespace allmende::query
