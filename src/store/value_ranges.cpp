// What of q the value indexes answer (value_ranges.h).
#include "store/value_ranges.h"

#include <optional>

#include <re2/re2.h>

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
  if (p.attributes.size() != 1 || p.member != query::AttrPath::Member::Value || !p.valuePath.empty() || p.linked)
    return false;
  using K = query::Literal::Kind;
  auto text = [&t](const query::Literal& l) {
    return t.expandValues && !l.expanded.empty() ? l.expanded : l.text;  // as query/q.cpp compares
  };
  auto textual = [](const query::Literal& l) { return l.kind == K::String || l.kind == K::Uri; };
  if (t.op == query::Op::Match) {
    auto r = anchoredRange(t);
    if (!r) return false;
    r->attribute = p.attributes[0];
    q.textRanges.push_back(std::move(*r));
    return false;
  }
  bool range = t.op == query::Op::Eq && t.range;
  if (range ? textual(t.range->first) : t.values.size() == 1 && textual(t.values[0])) {
    EntityQuery::TextRange r;
    r.attribute = p.attributes[0];
    if (range) {
      r.min = text(t.range->first);
      r.max = text(t.range->second);
    } else if (t.op == query::Op::Eq) {
      r.min = text(t.values[0]);
      r.max = r.min;
    } else if (t.op == query::Op::Gt || t.op == query::Op::Ge) {
      r.min = text(t.values[0]);
      r.minOpen = t.op == query::Op::Gt;
    } else if (t.op == query::Op::Lt || t.op == query::Op::Le) {
      r.max = text(t.values[0]);
      r.maxOpen = t.op == query::Op::Lt;
    } else {
      return false;
    }
    q.textRanges.push_back(std::move(r));
    return t.op == query::Op::Eq;
  }
  EntityQuery::NumberRange r;
  r.attribute = p.attributes[0];
  auto number = [](const query::Literal& l) { return l.kind == K::Number; };
  if (range && number(t.range->first) && number(t.range->second)) {
    r.min = t.range->first.number;
    r.max = t.range->second.number;
  } else if (range || t.values.size() != 1 || !number(t.values[0])) {
    return false;
  } else if (t.op == query::Op::Eq) {
    r.min = r.max = t.values[0].number;
  } else if (t.op == query::Op::Gt || t.op == query::Op::Ge) {
    r.min = t.values[0].number;
    r.minOpen = t.op == query::Op::Gt;
  } else if (t.op == query::Op::Lt || t.op == query::Op::Le) {
    r.max = t.values[0].number;
    r.maxOpen = t.op == query::Op::Lt;
  } else {
    return false;
  }
  q.numberRanges.push_back(std::move(r));
  return true;
}

}  // namespace allmende::store
