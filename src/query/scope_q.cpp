// The Scope Query Language scopeQ (clause 4.19): scopes combined with ";" (AND),
// "|" or "," (OR, both spellings of the ABNF orOp) and parentheses; AND binds
// tighter than OR, as in q. Parsed into the same AST as q (query/q.h): each scope
// is a Term with op Eq and the scope as values[0].text; the path stays empty.
//
// A scope matches an entity if one of its scopes (entity["scope"]) matches it
// level by level: a plain level must be equal, "+" stands for exactly one level,
// "#" (last level only) for the levels above it and any levels below, so "/a/#"
// matches "/a" and everything under it and "/#" any scope. Levels use the
// characters entity scopes may use (ngsi/syntax.cpp); anything else, like an
// empty level or a missing "/", is BadRequestData naming the position.
#include <string>

#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "query/expression_parser.h"
#include "query/q.h"

namespace allmende::query {

namespace json = boost::json;

namespace {

bool isLevelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == '~' || (static_cast<unsigned char>(c) & 0x80);
}

class ScopeParser : public ExpressionParser<ScopeParser> {
 public:
  static constexpr bool kCommaIsOr = true;
  explicit ScopeParser(std::string_view text) : ExpressionParser(text, "scopeQ") {}

  // "/" level *("/" level), level = 1*levelChar / "+" / "#" (last only).
  ExprPtr parseOperand() {
    size_t start = pos_;
    if (!take("/")) {
      if (pos_ >= s_.size()) fail("missing a scope at the end");
      failAt("expected a scope starting with '/', found '" + std::string(1, s_[pos_]) + "'", pos_);
    }
    for (;;) {
      size_t level = pos_;
      if (take("#")) break;  // nothing may follow "#"
      if (!take("+"))
        while (pos_ < s_.size() && isLevelChar(s_[pos_])) ++pos_;
      if (pos_ == level) failAt("empty scope level", level);
      if (!take("/")) break;
    }
    char c = peek();
    if (c != '\0' && c != ';' && c != '|' && c != ',' && c != ')')
      failAt("unexpected '" + std::string(1, c) + "' in a scope", pos_);
    auto e = std::make_shared<Expr>();
    e->term.op = Op::Eq;
    Literal scope{};
    scope.kind = Literal::Kind::String;
    scope.text = s_.substr(start, pos_ - start);
    e->term.values.push_back(std::move(scope));
    return e;
  }
};

// The next level of a scope or pattern from pos (after its "/"), advancing pos.
std::string_view nextLevel(std::string_view s, size_t& pos) {
  size_t end = s.find('/', pos);
  if (end == std::string_view::npos) end = s.size();
  std::string_view level = s.substr(pos, end - pos);
  pos = end + 1;
  return level;
}

bool scopeMatches(std::string_view pattern, std::string_view scope) {
  if (scope.empty() || scope[0] != '/') return false;
  size_t p = 1, s = 1;
  for (;;) {
    if (p > pattern.size()) return s > scope.size();  // both used up
    std::string_view want = nextLevel(pattern, p);
    if (want == "#") return true;
    if (s > scope.size()) return false;
    std::string_view have = nextLevel(scope, s);
    if (want != "+" && want != have) return false;
  }
}

bool evalScope(const Expr& e, const json::value& scopes) {
  switch (e.kind) {
    case Expr::Kind::Term: {
      std::string_view pattern = e.term.values.front().text;
      if (scopes.is_string()) return scopeMatches(pattern, scopes.get_string());
      for (const auto& s : scopes.get_array())
        if (s.is_string() && scopeMatches(pattern, s.get_string())) return true;
      return false;
    }
    case Expr::Kind::And:
      for (const auto& c : e.children)
        if (!evalScope(*c, scopes)) return false;
      return true;
    case Expr::Kind::Or:
      for (const auto& c : e.children)
        if (evalScope(*c, scopes)) return true;
      return false;
  }
  return false;
}

}  // namespace

ExprPtr parseScopeQ(std::string_view text) {
  return ScopeParser(text).parse();
}

bool matchesScope(const Expr& expr, const json::object& entity) {
  auto* scopes = entity.if_contains(ngsi::key::scope);
  if (!scopes || !(scopes->is_array() || scopes->is_string())) return false;
  return evalScope(expr, *scopes);
}

}  // namespace allmende::query
