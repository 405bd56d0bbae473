// What of q the value indexes answer (value_ranges.h).
#include "store/value_ranges.h"

#include <algorithm>
#include <optional>

#include <re2/re2.h>

#include "store/store.h"

namespace allmende::store {

namespace {

// The strings a regular expression anchored at the start can match lie in
// [min, max) (max none: unbounded); nullopt when it is not anchored so (a
// pattern that starts with ^ and has no alternative, which could skip it).
std::optional<EntityQuery::TextRange> anchoredRange(const query::Term& t) {
  if (!t.pattern.starts_with('^') || t.pattern.find('|') != std::string::npos) return std::nullopt;
  EntityQuery::TextRange r;
  std::string max;
  if (!t.regex->PossibleMatchRange(&r.min, &max, 64)) return std::nullopt;
  // A match is a prefix of the string, at most `max`: the string comes before max's successor.
  while (!max.empty() && static_cast<unsigned char>(max.back()) == 0xff) max.pop_back();
  if (!max.empty()) {
    max.back() = static_cast<char>(static_cast<unsigned char>(max.back()) + 1);
    r.max = std::move(max);
    r.maxOpen = true;
  }
  return r;
}

// Widens r to what the index holds of longer strings, their first
// EntityMeta::kIndexedStringBytes bytes (a string s <= max has a prefix <= max's
// prefix; s >= min has one >= min's); returns whether it did (then the index
// no longer proves a match).
bool cutToIndexed(EntityQuery::TextRange& r) {
  constexpr size_t n = EntityMeta::kIndexedStringBytes;
  bool cut = false;
  if (r.min.size() > n) r.min.resize(n), r.minOpen = false, cut = true;
  if (r.max && r.max->size() > n) r.max->resize(n), r.maxOpen = false, cut = true;
  for (auto& v : r.anyOf)
    if (v.size() > n) v.resize(n), cut = true;
  r.anyOf.erase(std::unique(r.anyOf.begin(), r.anyOf.end()), r.anyOf.end());  // still ascending
  return cut;
}

// Sets r's bounds from the term's literal(s), each turned into a bound by
// valueOf; false for an operator no range expresses (!=, ~=, existence).
template <class Range, class ValueOf>
bool setBounds(const query::Term& t, Range& r, ValueOf valueOf) {
  if (t.op == query::Op::Eq && t.range) {
    r.min = valueOf(t.range->first);
    r.max = valueOf(t.range->second);
    return true;
  }
  if (t.values.size() != 1) return false;
  auto v = valueOf(t.values[0]);
  switch (t.op) {
    case query::Op::Eq:
      r.min = v;
      r.max = v;
      return true;
    case query::Op::Gt:
    case query::Op::Ge:
      r.min = v;
      r.minOpen = t.op == query::Op::Gt;
      return true;
    case query::Op::Lt:
    case query::Op::Le:
      r.max = v;
      r.maxOpen = t.op == query::Op::Lt;
      return true;
    default:
      return false;
  }
}

}  // namespace

bool addValueRanges(const query::Expr& e, EntityQuery& q) {
  if (e.kind == query::Expr::Kind::And) {
    bool all = true;
    for (const auto& c : e.children) all = addValueRanges(*c, q) && all;
    return all;
  }
  if (e.kind != query::Expr::Kind::Term) return false;
  const auto& t = e.term;
  const auto& p = t.path;
  using Member = query::AttrPath::Member;
  using Of = EntityQuery::TimeRange::Of;
  using K = query::Literal::Kind;
  bool own = p.attributes.size() == 1 && (p.member == Member::CreatedAt || p.member == Member::ModifiedAt);
  bool observed = p.attributes.size() == 2 && p.member == Member::ObservedAt;
  bool value = p.attributes.size() == 1 && p.member == Member::Value;
  if (p.linked || !p.valuePath.empty() || !(own || observed || value)) return false;
  auto literalsAre = [&t](auto accept) {
    return t.range ? accept(t.range->first) && accept(t.range->second) : t.values.size() == 1 && accept(t.values[0]);
  };
  auto text = [&t](const query::Literal& l) {
    return t.expandValues && !l.expanded.empty() ? l.expanded : l.text;  // as query/q.cpp compares
  };
  auto dateTime = [](const query::Literal& l) { return l.kind == K::DateTime; };
  auto textual = [](const query::Literal& l) { return l.kind == K::String || l.kind == K::Uri; };
  auto number = [](const query::Literal& l) { return l.kind == K::Number; };
  auto ms = [](const query::Literal& l) { return l.kind == K::Number ? l.number : double(l.epochMs); };
  if (own || observed) {  // epoch ms numbers (own) or date-time strings (observedAt), compared as times
    if (!literalsAre([&](const query::Literal& l) { return dateTime(l) || (own && number(l)); })) return false;
    EntityQuery::TimeRange r;
    r.of = observed ? Of::ObservedAt : p.member == Member::CreatedAt ? Of::CreatedAt : Of::ModifiedAt;
    if (observed) r.attribute = p.attributes[0];
    if (!setBounds(t, r, ms)) return false;
    q.timeRanges.push_back(std::move(r));
    return true;
  }
  if (t.op == query::Op::Match) {
    auto r = anchoredRange(t);
    if (!r) return false;
    r->attribute = p.attributes[0];
    cutToIndexed(*r);
    q.textRanges.push_back(std::move(*r));
    return false;
  }
  if (literalsAre(dateTime)) {  // strings that are dates or date-times, compared as times
    EntityQuery::TimeRange r;
    r.attribute = p.attributes[0];
    if (!setBounds(t, r, ms)) return false;
    q.timeRanges.push_back(std::move(r));
    return true;
  }
  if (t.op == query::Op::Eq && t.values.size() > 1 && std::all_of(t.values.begin(), t.values.end(), textual)) {
    EntityQuery::TextRange r;  // a list: one of the strings
    r.attribute = p.attributes[0];
    for (const auto& l : t.values) r.anyOf.push_back(text(l));
    std::sort(r.anyOf.begin(), r.anyOf.end());
    r.anyOf.erase(std::unique(r.anyOf.begin(), r.anyOf.end()), r.anyOf.end());
    bool cut = cutToIndexed(r);
    r.min = r.anyOf.front();
    r.max = r.anyOf.back();
    q.textRanges.push_back(std::move(r));
    return !cut;
  }
  if (literalsAre(textual)) {
    EntityQuery::TextRange r;
    r.attribute = p.attributes[0];
    if (!setBounds(t, r, text)) return false;
    bool cut = cutToIndexed(r);
    q.textRanges.push_back(std::move(r));
    return t.op == query::Op::Eq && !cut;
  }
  if (literalsAre(number)) {
    EntityQuery::NumberRange r;
    r.attribute = p.attributes[0];
    if (!setBounds(t, r, [](const query::Literal& l) { return l.number; })) return false;
    q.numberRanges.push_back(std::move(r));
    return true;
  }
  return false;
}

void intersect(EntityQuery::NumberRange& r, const EntityQuery::NumberRange& other) {
  if (other.min > r.min || (other.min == r.min && other.minOpen)) {
    r.min = other.min;
    r.minOpen = other.minOpen;
  }
  if (other.max < r.max || (other.max == r.max && other.maxOpen)) {
    r.max = other.max;
    r.maxOpen = other.maxOpen;
  }
}

}  // namespace allmende::store
