// The NGSI-LD query language q (clause 4.9): a recursive-descent parser that
// builds the AST of query/q.h once per request (names expanded, regular
// expressions compiled), and an evaluator that walks an entity's internal form
// (ngsi/entity.h) without allocating. scopeQ lives in query/scope_q.cpp.
//
// Grammar (whitespace is not allowed outside quoted strings):
//   q        = or
//   or       = and *("|" and)                 ; AND binds tighter than OR
//   and      = factor *(";" factor)
//   factor   = "(" or ")" / term             ; at most 64 nested levels, 4096 characters
//   term     = "!" path / path [op value]
//   path     = name *("." name) *("[" key *("." key) "]") ["{" [Type ":"] path "}"]
//   op       = "==" / "!=" / ">=" / "<=" / ">" / "<" / "~=" / "!~="
//   value    = item / item 1*("," item) / item ".." item   ; lists, ranges: == and != only
//   item     = number / "quoted \" string" / true / false / date-time / date / bare token (URI)
//   pattern  = "quoted" / bare token (parentheses balanced; quote it if it has ; or |)
//
// Choices where clause 4.9 leaves room (the conformance suite's 019_09, 019_28,
// 019_29, 5722_01, 5744_01 and 038_08 agree with them):
// - Every syntax error, an invalid regular expression and a too complex query
//   are BadRequestData (the suite expects BadRequestData for invalid q and csf);
//   positions in messages count characters from 1.
// - Names are expanded with the @context; keys in [...] are not. A last segment
//   observedAt/unitCode/datasetId/createdAt/modifiedAt (after a ".") addresses
//   that member of the instance; createdAt/modifiedAt alone the entity's own.
// - "rel{Type:path}" is a type hint unless Type is a prefix of the @context
//   (then "Type:path" is a compact IRI). Linked Entity terms follow the
//   Relationship only in matches(..., resolve); without a resolver they fail.
// - Quoted strings know two escapes, \" and \\; any other backslash is kept, so
//   regular expressions like "\d+" need no doubling.
// - A quoted or bare date-time ("2020-01-01T00:00:00Z") or date ("2020-01-01",
//   midnight UTC) compares as a point in time with stored strings that parse as
//   one and with the system timestamps (createdAt, modifiedAt: epoch ms).
//   Times of day ("12:00:00Z") compare as strings.
// - A bare token that is neither a number, boolean nor date-time is a URI and
//   compares like a string (Relationship objects, vocab IRIs, string values).
//   Ordering operators need a number, a quoted string or a date-time.
// - Types must agree (number/number, string/string, boolean/boolean, time/time)
//   for == > >= < <= ~= !~=; otherwise the term does not match. != is their
//   inverse: a value of another type is unequal (4.9: "if the data type of the
//   target value and the data type of the Query Term value are different, then
//   they shall be considered unequal"; conformance 5744_02_02, 5744_06_04/06).
//   Booleans only with == and !=. On a Relationship or ListRelationship only ==
//   and != can match.
// - A target that holds several values (an array value, a valueList, a
//   Relationship's object array, a languageMap) matches == > >= < <= ~= if any
//   value does, != if no value equals a listed value (or lies in the range), and
//   !~= if at least one value is a string and none matches. A term matches the
//   entity if any unexpired instance (any datasetId) matches. != on a missing
//   attribute does not match.
// - LanguageProperty: "color" and "color[*]" address all strings of the
//   languageMap together, "color[en]" one language. VocabProperty compares the
//   stored (expanded) IRI with the literal as written, or expanded with the
//   @context when expandValues names the attribute (019_29_12/13).
// - A value {"@value": x} (JSON-LD value object) compares as x. A key path
//   that meets an array applies to each of its elements.
// - Regular expressions are RE2, compiled at parse time, and use partial match
//   (anchor with ^ and $ for a full match); they apply to strings only.
#include "query/q.h"
#include "query/expression_parser.h"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <utility>

#include "jsonld/context.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"

namespace allmende::query {

namespace json = boost::json;
using ngsi::AttributeKind;
using Member = AttrPath::Member;

namespace {

constexpr std::string_view kCore = "https://uri.etsi.org/ngsi-ld/";

// "YYYY-MM-DD" as midnight UTC.
std::optional<int64_t> parseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  char buf[20];
  s.copy(buf, 10);
  std::string_view("T00:00:00Z").copy(buf + 10, 10);
  return ngsi::parseDateTime(std::string_view(buf, 20));
}


bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// "hh:mm[:ss[.f+]][Z|±hh:mm]"
bool isTimeOfDay(std::string_view s) {
  return s.size() >= 5 && isDigit(s[0]) && isDigit(s[1]) && s[2] == ':' && isDigit(s[3]) &&
         isDigit(s[4]) && s.find_first_not_of("0123456789:.Z+-") == std::string_view::npos;
}

std::optional<double> parseNumber(std::string_view s) {
  if (s.empty() || !(isDigit(s[0]) || (s[0] == '-' && s.size() > 1 && isDigit(s[1]))))
    return std::nullopt;
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return d;
}

// Characters that end a name or key.
bool endsName(char c) {
  return std::string_view(".[]{}=!<>~;|(),\"").find(c) != std::string_view::npos ||
         static_cast<unsigned char>(c) <= 0x20;
}

Member memberOf(std::string_view iri) {
  if (!iri.starts_with(kCore)) return Member::Value;
  auto m = iri.substr(kCore.size());
  if (m == ngsi::key::observedAt) return Member::ObservedAt;
  if (m == ngsi::key::unitCode) return Member::UnitCode;
  if (m == ngsi::key::datasetId) return Member::DatasetId;
  if (m == ngsi::key::createdAt) return Member::CreatedAt;
  if (m == ngsi::key::modifiedAt) return Member::ModifiedAt;
  return Member::Value;
}

std::string_view memberKey(Member m) {
  switch (m) {
    case Member::ObservedAt:
      return ngsi::key::observedAt;
    case Member::UnitCode:
      return ngsi::key::unitCode;
    case Member::DatasetId:
      return ngsi::key::datasetId;
    case Member::CreatedAt:
      return ngsi::key::createdAt;
    case Member::ModifiedAt:
      return ngsi::key::modifiedAt;
    case Member::Value:
      break;
  }
  return {};
}

std::string_view opText(Op op) {
  switch (op) {
    case Op::Eq:
      return "==";
    case Op::Ne:
      return "!=";
    case Op::Gt:
      return ">";
    case Op::Ge:
      return ">=";
    case Op::Lt:
      return "<";
    case Op::Le:
      return "<=";
    case Op::Match:
      return "~=";
    case Op::NotMatch:
      return "!~=";
    default:
      return "";
  }
}

// ---------------------------------------------------------------------------
// Parsing

class Parser : public ExpressionParser<Parser> {
 public:
  static constexpr bool kCommaIsOr = false;
  Parser(std::string_view text, const jsonld::Context& ctx, const std::vector<std::string>& expand)
      : ExpressionParser(text, "q"), ctx_(ctx), expand_(expand) {}

  ExprPtr parseOperand() { return parseTerm(); }

 private:
  ExprPtr parseTerm() {
    auto e = std::make_shared<Expr>();
    Term& t = e->term;
    bool negated = take("!");
    t.path = parsePath(0);
    for (const AttrPath* p = &t.path; p->linked; p = p->linked.get()) ++e->linkDepth;
    if (negated) {
      t.op = Op::NotExists;
      if (atTermEnd()) return e;
      failAt(
          "'!' only negates an attribute's existence; unexpected '" + std::string(1, peek()) + "'",
          pos_);
    }
    if (atTermEnd()) return e;  // Op::Exists
    t.op = parseOp();
    t.expandValues = wantsExpansion(t.path);
    if (t.op == Op::Match || t.op == Op::NotMatch)
      parsePattern(t);
    else
      parseValues(t);
    if (!atTermEnd()) unexpected();
    return e;
  }

  bool atTermEnd() const {
    char c = peek();
    return c == '\0' || c == ';' || c == '|' || c == ')';
  }

  std::string name(const char* what) {
    size_t start = pos_;
    while (pos_ < s_.size() && !endsName(s_[pos_])) ++pos_;
    if (pos_ == start) {
      if (pos_ >= s_.size()) fail(std::string("missing ") + what + " at the end");
      failAt(std::string("expected ") + what + ", found '" + std::string(1, s_[pos_]) + "'", pos_);
    }
    return std::string(s_.substr(start, pos_ - start));
  }

  AttrPath parsePath(int linkDepth) {
    AttrPath p;
    std::string first = name("an attribute name");
    p.attributes.push_back(ctx_.expand(first));
    while (take(".")) p.attributes.push_back(ctx_.expand(name("a sub-attribute name")));
    Member last = memberOf(p.attributes.back());
    if (p.attributes.size() > 1 || last == Member::CreatedAt || last == Member::ModifiedAt)
      p.member = last;
    while (take("[")) {
      do p.valuePath.push_back(name("a key"));
      while (take("."));
      if (!take("]")) unexpectedOr("expected ']'");
    }
    if (take("{")) {
      if (linkDepth + 1 > kMaxDepth) fail("too complex: Linked Entity queries nested too deeply");
      if (p.member != Member::Value || !p.valuePath.empty())
        failAt("'{' must follow a Relationship name", pos_ - 1);
      parseLinked(p, linkDepth + 1);
      if (!take("}")) unexpectedOr("expected '}'");
    }
    return p;
  }

  [[noreturn]] void unexpectedOr(const std::string& expected) const {
    if (pos_ >= s_.size()) fail(expected + " before the end");
    failAt(expected + ", found '" + std::string(1, s_[pos_]) + "'", pos_);
  }

  // "{[Type:]path}": the type hint is told from a compact IRI by the @context.
  void parseLinked(AttrPath& p, int linkDepth) {
    size_t start = pos_;
    while (pos_ < s_.size() && !endsName(s_[pos_])) ++pos_;
    std::string_view head = s_.substr(start, pos_ - start);
    pos_ = start;
    if (auto colon = head.find(':'); colon != std::string_view::npos && colon > 0 &&
                                     colon + 1 < head.size() && head.substr(colon + 1, 2) != "//") {
      auto* def = ctx_.find(head.substr(0, colon));
      if (!def || !def->prefix) {
        p.linkedType = ctx_.expand(head.substr(0, colon));
        pos_ = start + colon + 1;
      }
    }
    p.linked = std::make_shared<const AttrPath>(parsePath(linkDepth));
  }

  Op parseOp() {
    size_t at = pos_;
    while (pos_ < s_.size() && std::string_view("=!<>~").find(s_[pos_]) != std::string_view::npos)
      ++pos_;
    std::string_view run = s_.substr(at, pos_ - at);
    if (run.empty()) unexpected();
    for (Op op : {Op::Eq, Op::Ne, Op::Gt, Op::Ge, Op::Lt, Op::Le, Op::Match, Op::NotMatch})
      if (run == opText(op)) return op;
    failAt("unknown operator '" + std::string(run) + "'", at);
  }

  bool wantsExpansion(const AttrPath& path) const {
    const AttrPath* p = &path;
    while (p->linked) p = p->linked.get();
    for (const auto& name : expand_) {
      std::string iri = ctx_.expand(name);
      if (iri == p->attributes.front() || iri == p->attributes.back()) return true;
    }
    return false;
  }

  // A quoted string from pos_ (at the opening quote), unescaped.
  std::string quoted() {
    size_t open = pos_++;
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return out;
      if (c == '\\' && pos_ < s_.size() && (s_[pos_] == '"' || s_[pos_] == '\\')) c = s_[pos_++];
      out.push_back(c);
    }
    failAt("unterminated string", open);
  }

  void parsePattern(Term& t) {
    size_t at = pos_;
    if (peek() == '"') {
      t.pattern = quoted();
    } else {
      int parens = 0;
      while (pos_ < s_.size()) {
        char c = s_[pos_];
        if (c == ';' || c == '|' || (c == ')' && parens == 0)) break;
        if (c == '\\' && pos_ + 1 < s_.size()) ++pos_;
        parens += c == '(' ? 1 : c == ')' ? -1 : 0;
        ++pos_;
      }
      t.pattern = std::string(s_.substr(at, pos_ - at));
    }
    if (t.pattern.empty()) failAt("missing pattern after '" + std::string(opText(t.op)) + "'", at);
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const re2::RE2>(t.pattern, options);
    if (!re->ok()) fail("invalid regular expression '" + t.pattern + "': " + re->error());
    t.regex = std::move(re);
  }

  Literal item(const Term& t) {
    size_t at = pos_;
    Literal l{};
    l.kind = Literal::Kind::String;
    if (peek() == '"') {
      l.text = quoted();
      if (auto ms = temporalValue(l.text)) l.kind = Literal::Kind::DateTime, l.epochMs = *ms;
    } else {
      while (pos_ < s_.size() &&
             std::string_view(";|),\"").find(s_[pos_]) == std::string_view::npos &&
             !s_.substr(pos_).starts_with(".."))
        ++pos_;
      l.text = std::string(s_.substr(at, pos_ - at));
      if (l.text.empty()) failAt("missing value after '" + std::string(opText(t.op)) + "'", at);
      if (l.text == "true" || l.text == "false") {
        l.kind = Literal::Kind::Boolean;
        l.boolean = l.text == "true";
      } else if (auto n = parseNumber(l.text)) {
        l.kind = Literal::Kind::Number;
        l.number = *n;
      } else if (auto ms = temporalValue(l.text)) {
        l.kind = Literal::Kind::DateTime;
        l.epochMs = *ms;
      } else if (!isTimeOfDay(l.text)) {
        l.kind = Literal::Kind::Uri;
      }
    }
    if (t.expandValues && (l.kind == Literal::Kind::String || l.kind == Literal::Kind::Uri))
      l.expanded = ctx_.expand(l.text);
    return l;
  }

  void parseValues(Term& t) {
    size_t at = pos_;
    bool equality = t.op == Op::Eq || t.op == Op::Ne;
    t.values.push_back(item(t));
    if (take("..")) {
      if (!equality) failAt("a range is only allowed with == and !=", at);
      Literal hi = item(t);
      t.range = orderedRange(std::move(t.values[0]), std::move(hi), at);
      t.values.clear();
      return;
    }
    while (take(",")) {
      if (!equality) failAt("a value list is only allowed with == and !=", at);
      t.values.push_back(item(t));
    }
    if (peek() == '"') unexpected();
    auto kind = t.values[0].kind;
    if (!equality && (kind == Literal::Kind::Boolean || kind == Literal::Kind::Uri))
      failAt("operator '" + std::string(opText(t.op)) +
                 "' needs a number, a quoted string or a date-time",
             at);
  }

  std::pair<Literal, Literal> orderedRange(Literal lo, Literal hi, size_t at) const {
    using K = Literal::Kind;
    auto textual = [](K k) { return k == K::String || k == K::Uri; };
    bool sameKind = lo.kind == hi.kind || (textual(lo.kind) && textual(hi.kind));
    if (!sameKind || lo.kind == K::Boolean)
      failAt("a range needs two numbers, two strings or two date-times", at);
    bool swap = lo.kind == K::Number     ? lo.number > hi.number
                : lo.kind == K::DateTime ? lo.epochMs > hi.epochMs
                                         : lo.text > hi.text;
    if (swap) std::swap(lo, hi);
    return {std::move(lo), std::move(hi)};
  }

  const jsonld::Context& ctx_;
  const std::vector<std::string>& expand_;
};

// ---------------------------------------------------------------------------
// Evaluation

// What the compared values are, beyond their JSON.
struct Target {
  AttributeKind kind = AttributeKind::Property;
  bool timestamp = false;    // epoch ms numbers (createdAt, modifiedAt)
  bool languageMap = false;  // a whole languageMap: its strings are the values
};

enum class Cmp { Incomparable, Less, Equal, Greater, Unequal /* unordered */ };

template <class T>
Cmp threeWay(const T& a, const T& b) {
  return a < b ? Cmp::Less : b < a ? Cmp::Greater : Cmp::Equal;
}

const json::value& unwrap(const json::value& v) {
  if (v.is_object())
    if (auto* inner = v.get_object().if_contains("@value")) return *inner;
  return v;
}

Cmp compare(const json::value& v, const Literal& l, const Target& target, bool expanded) {
  using K = Literal::Kind;
  switch (v.kind()) {
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      if (l.kind == K::Number) return threeWay(v.to_number<double>(), l.number);
      if (l.kind == K::DateTime && target.timestamp)
        return threeWay(v.to_number<double>(), static_cast<double>(l.epochMs));
      return Cmp::Incomparable;
    case json::kind::string: {
      std::string_view s = v.get_string();
      if (l.kind == K::String || l.kind == K::Uri)
        return threeWay(s, std::string_view(expanded && !l.expanded.empty() ? l.expanded : l.text));
      if (l.kind == K::DateTime)
        if (auto ms = temporalValue(s)) return threeWay(*ms, l.epochMs);
      return Cmp::Incomparable;
    }
    case json::kind::bool_:
      if (l.kind != K::Boolean) return Cmp::Incomparable;
      return v.get_bool() == l.boolean ? Cmp::Equal : Cmp::Unequal;
    default:
      return Cmp::Incomparable;
  }
}

bool ordered(Cmp c) {
  return c == Cmp::Less || c == Cmp::Equal || c == Cmp::Greater;
}

// One value against the term: {comparable, positive}. Positive means equal to a
// listed value or in the range (== !=), matching the pattern (~= !~=), or
// satisfying the ordering.
std::pair<bool, bool> test(const Term& t, const json::value& v, const Target& target) {
  switch (t.op) {
    case Op::Match:
    case Op::NotMatch: {
      if (!v.is_string()) return {false, false};
      const auto& s = v.get_string();
      return {true, RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *t.regex)};
    }
    case Op::Eq:
    case Op::Ne: {
      if (t.range) {
        Cmp lo = compare(v, t.range->first, target, t.expandValues);
        Cmp hi = compare(v, t.range->second, target, t.expandValues);
        if (!ordered(lo) || !ordered(hi)) return {false, false};
        return {true, lo != Cmp::Less && hi != Cmp::Greater};
      }
      bool comparable = false;
      for (const auto& l : t.values) {
        Cmp c = compare(v, l, target, t.expandValues);
        if (c == Cmp::Equal) return {true, true};
        comparable = comparable || c != Cmp::Incomparable;
      }
      return {comparable, false};
    }
    default: {
      Cmp c = compare(v, t.values[0], target, t.expandValues);
      if (!ordered(c)) return {false, false};
      switch (t.op) {
        case Op::Gt:
          return {true, c == Cmp::Greater};
        case Op::Ge:
          return {true, c != Cmp::Less};
        case Op::Lt:
          return {true, c == Cmp::Less};
        default:
          return {true, c != Cmp::Greater};  // Le
      }
    }
  }
}

// The comparison of a term with one target (all its values together).
bool compareTarget(const Term& t, const json::value& raw, const Target& target) {
  bool relationship =
      target.kind == AttributeKind::Relationship || target.kind == AttributeKind::ListRelationship;
  if (relationship && t.op != Op::Eq && t.op != Op::Ne) return false;
  bool anyComparable = false, anyPositive = false;
  auto visit = [&](const json::value& e) {
    auto [comparable, positive] = test(t, unwrap(e), target);
    anyComparable = anyComparable || comparable;
    anyPositive = anyPositive || (comparable && positive);
    return anyPositive;  // decided either way
  };
  const json::value& v = unwrap(raw);
  if (target.languageMap && v.is_object()) {
    for (const auto& [tag, text] : v.get_object()) {
      if (text.is_array()) {
        for (const auto& e : text.get_array())
          if (visit(e)) break;
      } else if (visit(text)) {
        break;
      }
      if (anyPositive) break;
    }
  } else if (v.is_array()) {
    for (const auto& e : v.get_array())
      if (visit(e)) break;
  } else {
    visit(v);
  }
  if (t.op == Op::Ne) return !anyPositive;  // values of another type are unequal
  if (t.op == Op::NotMatch) return anyComparable && !anyPositive;
  return anyPositive;
}

// Follows the key path inside a value; arrays on the way apply it to each element.
template <class Fn>
bool followKeys(const json::value& v, const std::vector<std::string>& keys, size_t i,
                const Target& target, Fn& fn) {
  if (i == keys.size()) return fn(v, target);
  const json::value& u = unwrap(v);
  if (u.is_object()) {
    auto* next = u.get_object().if_contains(keys[i]);
    return next && followKeys(*next, keys, i + 1, target, fn);
  }
  if (u.is_array())
    for (const auto& e : u.get_array())
      if (followKeys(e, keys, i, target, fn)) return true;
  return false;
}

// Calls fn(value, target) for each target the path addresses in the entity
// (one per unexpired instance) until fn returns true; returns whether it did.
template <class Fn>
bool forEachTarget(const AttrPath& p, const json::object& entity, int64_t now, Fn&& fn) {
  if (p.attributes.size() == 1 && p.member != Member::Value) {
    auto* m = entity.if_contains(memberKey(p.member));
    return m && fn(*m, Target{.timestamp = true});
  }
  auto* attrs = entity.if_contains(ngsi::key::attrs);
  if (!attrs || !attrs->is_object()) return false;
  auto* instances = attrs->get_object().if_contains(p.attributes.front());
  if (!instances || !instances->is_array()) return false;
  size_t subsEnd = p.attributes.size() - (p.member == Member::Value ? 0 : 1);
  for (const auto& inst : instances->get_array()) {
    const json::object* cur = inst.if_object();
    for (size_t i = 1; cur && i < subsEnd; ++i) {
      auto* subs = cur->if_contains(ngsi::key::subs);
      auto* sub =
          subs && subs->is_object() ? subs->get_object().if_contains(p.attributes[i]) : nullptr;
      cur = sub ? sub->if_object() : nullptr;
      if (cur && ngsi::isExpired(*cur, now)) cur = nullptr;
    }
    if (!cur || ngsi::isExpired(inst.get_object(), now)) continue;
    if (p.member != Member::Value) {
      auto* m = cur->if_contains(memberKey(p.member));
      bool timestamp = p.member == Member::CreatedAt || p.member == Member::ModifiedAt;
      if (m && fn(*m, Target{.timestamp = timestamp})) return true;
      continue;
    }
    Target target{.kind = ngsi::kindOf(*cur)};
    auto* value = cur->if_contains(ngsi::valueMember(target.kind));
    if (!value) continue;
    bool wholeMap = p.valuePath.empty() || (p.valuePath.size() == 1 && p.valuePath[0] == "*");
    if (target.kind == AttributeKind::LanguageProperty && wholeMap) {
      target.languageMap = true;
      if (fn(*value, target)) return true;
    } else if (followKeys(*value, p.valuePath, 0, target, fn)) {
      return true;
    }
  }
  return false;
}

bool hasType(const json::object& entity, std::string_view type) {
  auto* types = entity.if_contains(ngsi::key::type);
  if (types && types->is_array())
    for (const auto& t : types->get_array())
      if (t.is_string() && t.get_string() == type) return true;
  return types && types->is_string() && types->get_string() == type;
}

// How Linked Entity terms reach other entities during one matches(): the
// resolver, and the result of each rest of a path on each entity id it was
// evaluated on. Entities that link to each other (a{a{a{...}}} over [x, y])
// are so evaluated once per level and entity, not once per route (2^levels).
struct Linking {
  const EntityResolver& resolve;
  std::map<std::pair<const AttrPath*, std::string_view>, bool>
      results;  // ids: views into the entities
};

// Whether the path exists (existence ops) or satisfies the term's comparison.
bool evalPath(const Term& t, const AttrPath& p, const json::object& entity, int64_t now,
              Linking* linking) {
  if (p.linked) {
    if (!linking) return false;
    auto follow = [&](const json::value& v, const Target& target) {
      if (target.kind != AttributeKind::Relationship &&
          target.kind != AttributeKind::ListRelationship)
        return false;
      auto visit = [&](const json::value& id) {
        if (!id.is_string()) return false;
        auto key = std::pair(p.linked.get(), std::string_view(id.get_string()));
        if (auto known = linking->results.find(key); known != linking->results.end())
          return known->second;
        const json::object* linked = linking->resolve(id.get_string());
        bool found = linked && (p.linkedType.empty() || hasType(*linked, p.linkedType)) &&
                     evalPath(t, *p.linked, *linked, now, linking);
        linking->results.emplace(key, found);
        return found;
      };
      if (!v.is_array()) return visit(v);
      for (const auto& id : v.get_array())
        if (visit(id)) return true;
      return false;
    };
    return forEachTarget(p, entity, now, follow);
  }
  if (t.op == Op::Exists || t.op == Op::NotExists)
    return forEachTarget(p, entity, now, [](const json::value&, const Target&) { return true; });
  return forEachTarget(p, entity, now, [&t](const json::value& v, const Target& target) {
    return compareTarget(t, v, target);
  });
}

bool evalExpr(const Expr& e, const json::object& entity, int64_t now, Linking* linking) {
  switch (e.kind) {
    case Expr::Kind::Term: {
      bool found = evalPath(e.term, e.term.path, entity, now, linking);
      return e.term.op == Op::NotExists ? !found : found;
    }
    case Expr::Kind::And:
      for (const auto& c : e.children)
        if (!evalExpr(*c, entity, now, linking)) return false;
      return true;
    case Expr::Kind::Or:
      for (const auto& c : e.children)
        if (evalExpr(*c, entity, now, linking)) return true;
      return false;
  }
  return false;
}

}  // namespace

ExprPtr parseQ(std::string_view text, const jsonld::Context& ctx) {
  static const std::vector<std::string> none;
  return Parser(text, ctx, none).parse();
}

ExprPtr parseQ(std::string_view text, const jsonld::Context& ctx,
               const std::vector<std::string>& expandValues) {
  return Parser(text, ctx, expandValues).parse();
}

std::optional<int64_t> temporalValue(std::string_view s) {
  if (s.size() < 10 || s.size() > 40 || s[4] != '-') return std::nullopt;
  if (auto t = ngsi::parseDateTime(s)) return t;
  return parseDate(s);
}

bool matches(const Expr& expr, const json::object& entity, int64_t nowMs) {
  return evalExpr(expr, entity, nowMs, nullptr);
}

bool matches(const Expr& expr, const json::object& entity, int64_t nowMs,
             const EntityResolver& resolve) {
  if (!resolve) return evalExpr(expr, entity, nowMs, nullptr);
  Linking linking{resolve, {}};
  return evalExpr(expr, entity, nowMs, &linking);
}

}  // namespace allmende::query
