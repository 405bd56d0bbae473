// The NGSI-LD query language (clause 4.9): parsing a q (or scopeQ) expression
// into an AST once per request, and evaluating it against entities in their
// internal expanded form (ngsi/entity.h). Parsed expressions are immutable and
// may be shared between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace allmende::jsonld {
class Context;
}
namespace re2 {
class RE2;
}

namespace allmende::query {

// A path to the value a term compares: an attribute (expanded IRI), optionally
// a chain of sub-attributes ("a.b.c"), optionally a path inside the value
// ("a[k.s]"). The special last sub-attribute names observedAt, unitCode,
// datasetId, createdAt and modifiedAt address those members.
struct AttrPath {
  std::vector<std::string> attributes;  // [attribute IRI, sub-attribute IRI, ...]
  std::vector<std::string> valuePath;   // keys inside the value (compound path), may be empty
  // The instance member compared instead of the value: set when the last element of
  // `attributes` is one of those members' IRIs. A one-element path (createdAt, modifiedAt)
  // addresses the entity's own member.
  enum class Member { Value, ObservedAt, UnitCode, DatasetId, CreatedAt, ModifiedAt };
  Member member = Member::Value;
  // Linked Entity query "rel{path}": `attributes` names a Relationship; the term is
  // evaluated on the entities it points at, along `linked`, optionally only on those
  // of type `linkedType` (expanded IRI; "rel{Type:path}").
  std::shared_ptr<const AttrPath> linked;
  std::string linkedType;
};

// A literal of the query: number, string, boolean, date-time (epoch ms), URI.
struct Literal {
  enum class Kind { Number, String, Boolean, DateTime, Uri } kind;
  double number = 0;
  std::string text;  // String, Uri, and the original text of DateTime
  bool boolean = false;
  int64_t epochMs = 0;   // DateTime
  std::string expanded;  // String, Uri: the text expanded with the @context (expandValues only)
};

enum class Op { Exists, NotExists, Eq, Ne, Gt, Ge, Lt, Le, Match, NotMatch };

struct Term {
  AttrPath path;
  Op op = Op::Exists;
  std::vector<Literal> values;                       // one value, or a value list for ==/!=
  std::optional<std::pair<Literal, Literal>> range;  // a..b for ==/!=
  std::string pattern;                               // for Match/NotMatch (RE2 syntax)
  std::shared_ptr<const re2::RE2> regex;             // `pattern` compiled at parse time
  bool expandValues = false;  // compare string values by Literal::expanded (expandValues)
};

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

struct Expr {
  enum class Kind { Term, And, Or } kind = Kind::Term;
  Term term;                      // Kind::Term
  std::vector<ExprPtr> children;  // And / Or
  int linkDepth = 0;  // deepest Linked Entity nesting in this subtree (a{b} = 1, a{b{c}} = 2)
};

// Parses q; attribute names are expanded with ctx. Throws ngsi::Error
// (BadRequestData) naming the position and the fault on a syntax error, or an
// invalid regular expression (RE2 must accept it).
ExprPtr parseQ(std::string_view text, const jsonld::Context& ctx);
// Like parseQ; string values of terms on the attributes named in expandValues (as
// in the request, expanded with ctx) are compared expanded with ctx (4.9 EXAMPLE 12).
ExprPtr parseQ(std::string_view text, const jsonld::Context& ctx,
               const std::vector<std::string>& expandValues);

// Epoch ms of a stored string that q compares as a point in time (a date-time,
// or a date: midnight UTC), or nullopt.
std::optional<int64_t> temporalValue(std::string_view s);

// True if the entity matches the expression (instances expired at nowMs are ignored).
// Linked Entity terms (Expr::linkDepth > 0) never match here: use the overload below.
bool matches(const Expr& expr, const boost::json::object& entity, int64_t nowMs);

// The entity with this id (unexpired), or nullptr; the object must stay valid until
// matches() returns (a caller typically caches what it fetched for the whole query).
using EntityResolver = std::function<const boost::json::object*(std::string_view id)>;
// Like matches, following Relationships to linked entities through resolve.
bool matches(const Expr& expr, const boost::json::object& entity, int64_t nowMs,
             const EntityResolver& resolve);

// Parses scopeQ ("/a/b", "/a/#", "/a/+", combined with ; | and parentheses).
ExprPtr parseScopeQ(std::string_view text);
// True if the entity's scopes match a scopeQ expression.
bool matchesScope(const Expr& expr, const boost::json::object& entity);

}  // namespace allmende::query
