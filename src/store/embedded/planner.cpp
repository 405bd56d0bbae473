// Candidate selection (the planner): of the selectors a query gives (ids,
// types, attributes, geo box) and its number, string and time ranges, the
// smallest source is walked and the others are checked per candidate (by shape,
// set membership or the entity's numbers; string and time ranges only by
// reading the entity), so a selective query touches few entities and a limit=20
// query over a large type stops after the first matches. Ids, types and
// attributes come in id order, with exact sizes; a range of a value index in
// value order (one value: in id order) and the geo index in its R-tree's order,
// their sizes counted up to kProbe, so that a page costs what it holds, not
// what the area or the range holds.
#include "store/embedded/tenant_index.h"

#include <algorithm>
#include <array>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "store/value_ranges.h"

namespace allmende::store {

size_t TenantIndex::Source::size() const {
  size_t n = list.size();
  for (const auto* set : sets) n += set->size();
  return n;
}

size_t TenantIndex::typeCount(const std::string& type) const {
  size_t n = 0;
  if (auto it = byType_.find(type); it != byType_.end())
    for (const auto* shape : it->second) n += shape->ids.size();
  return n;
}

// The shapes' sets of the types, each shape once.
TenantIndex::Source TenantIndex::typeSource(const std::vector<std::vector<std::string>>& dnf) const {
  Source out;
  std::unordered_set<const Shape*> seen;
  auto addShapes = [&](const std::string& t) {
    if (auto it = byType_.find(t); it != byType_.end())
      for (const auto* shape : it->second)
        if (seen.insert(shape).second) out.sets.push_back(&shape->ids);
  };
  if (dnf.size() == 1) {
    // One conjunction: walk the entities of its rarest type; the others are checked per candidate.
    const std::string* rarest = nullptr;
    size_t fewest = 0;
    for (const auto& t : dnf[0]) {
      size_t n = typeCount(t);
      if (n == 0) return out;
      if (!rarest || n < fewest) rarest = &t, fewest = n;
    }
    if (rarest) addShapes(*rarest);
    return out;
  }
  for (const auto& conjunction : dnf)
    for (const auto& t : conjunction) addShapes(t);
  return out;
}

TenantIndex::Source TenantIndex::attrSource(const std::vector<std::string>& attrs) const {
  Source out;
  std::unordered_set<const Shape*> seen;
  for (const auto& a : attrs)
    if (auto it = byAttr_.find(a); it != byAttr_.end())
      for (const auto* shape : it->second)
        if (seen.insert(shape).second) out.sets.push_back(&shape->ids);
  return out;
}

TenantIndex::Source TenantIndex::idSource(const std::vector<std::string>& ids) const {
  Source out;
  for (const auto& id : ids)
    if (auto it = byId_.find(id); it != byId_.end()) out.list.push_back(it->entry);
  std::sort(out.list.begin(), out.list.end(), ByValue());
  out.list.erase(std::unique(out.list.begin(), out.list.end()), out.list.end());
  return out;
}

bool TenantIndex::hasTypes(const Shape* shape, const std::vector<std::vector<std::string>>& dnf) {
  auto has = [shape](const std::string& t) {
    for (const auto* mine : shape->key->types)
      if (*mine == t) return true;
    return false;
  };
  for (const auto& conjunction : dnf)
    if (std::all_of(conjunction.begin(), conjunction.end(), has)) return true;
  return false;
}

bool TenantIndex::hasAnyAttr(const Shape* shape, const std::vector<std::string>& attrs) {
  for (const auto& a : attrs)
    for (const auto* mine : shape->attrs)
      if (*mine == a) return true;
  return false;
}

TenantIndex::NumberChecks TenantIndex::numberChecks(const std::vector<EntityQuery::NumberRange>& ranges) const {
  NumberChecks checks;
  for (const auto& r : ranges) {
    auto attr = byAttr_.find(r.attribute);  // the interned name of Facts::numbers
    checks.emplace_back(&r, attr == byAttr_.end() ? nullptr : &attr->first);
  }
  return checks;
}

TenantIndex::Verdict TenantIndex::numbersMatch(const Entry* id, const NumberChecks& checks) {
  const auto& numbers = id->second.numbers;
  Verdict verdict = Verdict::Yes;
  for (const auto& check : checks) {
    const auto* r = check.first;
    const auto* attr = check.second;
    auto n = std::find_if(numbers.begin(), numbers.end(), [attr](const auto& p) { return p.first == attr; });
    if (!attr || n == numbers.end()) return Verdict::No;
    if (n->second.many) {  // cannot tell from the facts: the predicate decides
      verdict = Verdict::Maybe;
      continue;
    }
    bool any = false;
    for (uint8_t i = 0; i < n->second.count && !any; ++i) {
      double v = n->second.values[i];
      any = (r->minOpen ? v > r->min : v >= r->min) && (r->maxOpen ? v < r->max : v <= r->max);
    }
    if (!any) return Verdict::No;
  }
  return verdict;
}

namespace {
constexpr size_t kProbe = 4096;  // a value range is counted up to this many items

// Ranges of a value index the planner may walk (several for a list of values), in value order.
template <class Index>
struct Walk {
  const Index* index = nullptr;
  boost::container::small_vector<std::pair<typename Index::Iterator, typename Index::Iterator>, 1> ranges;
  size_t check = 0;  // the position of its condition (in Plan::numbers or EntityQuery::textRanges)
};
}  // namespace

// What a walk checks per candidate: the selectors it does not walk (types and
// attributes by shape, remembered per shape; ids and geo by membership), the
// numeric conditions (but the walked range's, which the walk proves), and
// whether that proves the match (Verdict::Yes; not while a string or time
// condition other than the walked one is left: only the entity can tell).
struct TenantIndex::Plan {
  Plan(const TenantIndex& index, const EntityQuery& q) : index(index), q(q) {}
  const TenantIndex& index;
  const EntityQuery& q;
  bool types = false;  // q.types narrows
  bool ids = false, geo = false;
  std::unordered_set<const Entry*> idFilter, geoFilter;
  NumberChecks numbers;
  size_t unproven = 0;  // string and time conditions (the walk proves at most one)
  boost::unordered_flat_map<const Shape*, bool> shapes;
  size_t counted = 0;

  const Shape* lastShape = nullptr;  // neighbours mostly share a shape
  bool lastOk = false;

  bool shapeOk(const Shape* shape) {
    if (shape == lastShape) return lastOk;
    auto [it, fresh] = shapes.try_emplace(shape, false);
    if (fresh)
      it->second = (!types || hasTypes(shape, *q.types)) && (!q.anyAttrs || hasAnyAttr(shape, *q.anyAttrs));
    lastShape = shape;
    return lastOk = it->second;
  }
  Verdict check(const Entry* e, const Shape* shape) {
    if (!shapeOk(shape) || (ids && !idFilter.contains(e)) || (geo && !geoFilter.contains(e))) return Verdict::No;
    Verdict v = numbers.empty() ? Verdict::Yes : numbersMatch(e, numbers);
    if (v == Verdict::No) return v;
    bool proven = q.selectorsExact && v == Verdict::Yes && unproven == 0 &&
                  (index.expiring_ == 0 || !e->second.expires);
    return proven ? Verdict::Yes : Verdict::Maybe;
  }
  // Candidates must be among these ids / in the geo index's answer for the query's box.
  void filterIds(const IdList& list) {
    ids = true;
    idFilter.insert(list.begin(), list.end());
  }
  void filterGeo(const query::GeoIndex& index) {
    geo = true;
    index.forEachIntersecting(*q.geoBox, q.geoBoxFilter, [this](uint64_t key) {
      geoFilter.insert(reinterpret_cast<const Entry*>(key));
      return true;
    });
  }
  // Whether only counting is asked and nothing but its shape can rule a candidate out.
  bool countsByShape() const {
    return q.count && q.limit == 0 && q.selectorsExact && !ids && !geo && numbers.empty() && unproven == 0 &&
           index.expiring_ == 0;
  }
  // Passes a candidate that is not ruled out on to visit, or counts it; false: stop.
  bool offer(const Entry* e, const Shape* shape, const Visit& visit) {
    Verdict v = check(e, shape);
    if (v == Verdict::No) return true;
    if (v == Verdict::Yes && q.count && q.limit == 0) {
      ++counted;
      return true;
    }
    return visit(e->first, v == Verdict::Yes);
  }
  // Walks items of a value index (each entity once, also over several calls) until offer says stop.
  template <class It>
  bool walkItems(It from, It to, bool repeats, const Visit& visit) {
    for (; from != to; ++from) {
      ++walked;
      if ((!repeats || seen.insert(from->entry).second) && !offer(from->entry, from->shape, visit)) return false;
    }
    return true;
  }
  size_t walked = 0;  // items walkItems went through
  boost::unordered_flat_set<const Entry*> seen;  // the entities walkItems met, when they may repeat
};

size_t TenantIndex::forEachCandidate(const EntityQuery& q, const Visit& visit) const {
  return candidates(q, true, visit);
}

size_t TenantIndex::candidates(const EntityQuery& q, bool ownOrder, const Visit& visit) const {
  Plan plan(*this, q);
  plan.numbers = numberChecks(q.numberRanges);  // attribute names looked up once per query
  plan.unproven = q.textRanges.size() + q.timeRanges.size();
  // Conditions on one attribute where no entity has two values mean one range (intersect).
  std::vector<EntityQuery::NumberRange> merged;
  merged.reserve(plan.numbers.size());
  for (size_t i = 0; i < plan.numbers.size(); ++i) {
    auto attr = plan.numbers[i].second;
    auto found = attr ? numbers_.byAttr.find(attr) : numbers_.byAttr.end();
    if (found == numbers_.byAttr.end() || found->second.multiValued() > 0) continue;
    for (size_t k = i + 1; k < plan.numbers.size();) {
      if (plan.numbers[k].second != attr) {
        ++k;
        continue;
      }
      if (merged.empty() || plan.numbers[i].first != &merged.back()) {  // its first merge: a copy to narrow
        merged.push_back(*plan.numbers[i].first);  // no reallocation: at most one per condition
        plan.numbers[i].first = &merged.back();
      }
      intersect(merged.back(), *plan.numbers[k].first);
      plan.numbers.erase(plan.numbers.begin() + k);
    }
  }
  // A type selection that every entity meets (a group of types all entities have) narrows nothing.
  plan.types = q.types && !std::any_of(q.types->begin(), q.types->end(), [this](const auto& group) {
    return std::all_of(group.begin(), group.end(), [this](const std::string& t) {
      return typeCount(t) == ids_.size();
    });
  });
  // The sources in id order (ids, types, attributes), their sizes exact.
  enum Kind { Ids, Types, Attrs, Geo, Value, Text, Time, All };
  std::vector<std::pair<Kind, Source>> sources;
  if (q.ids) sources.emplace_back(Ids, idSource(*q.ids));
  if (plan.types) sources.emplace_back(Types, typeSource(*q.types));
  if (q.anyAttrs) sources.emplace_back(Attrs, attrSource(*q.anyAttrs));
  auto walked = std::min_element(sources.begin(), sources.end(),
                                 [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
  Kind kind = walked == sources.end() ? All : walked->first;
  size_t size = walked == sources.end() ? ids_.size() : walked->second.size();
  // Sources in an order of their own (a value range, the R-tree's boxes) are
  // counted up to kProbe, or up to that size if smaller, and walked when they
  // hold fewer (so, when both are large, too). One that nothing competes with
  // is walked uncounted.
  size_t limit = std::min(size, kProbe);
  size_t lazy =
      ownOrder ? plan.numbers.size() + q.textRanges.size() + q.timeRanges.size() + (q.geoProperty && q.geoBox) : 0;
  bool compete = kind != All || lazy > 1;
  auto itemsIn = [&](const auto& w) {
    size_t items = 0;
    for (auto [from, to] : w.ranges)
      for (; compete && from != to && items < limit; ++from) ++items;
    return items;
  };
  Walk<NumberIndex> numberWalk;
  for (size_t i = 0; i < plan.numbers.size() && ownOrder; ++i) {
    auto [r, attr] = plan.numbers[i];
    auto found = attr ? numbers_.byAttr.find(attr) : numbers_.byAttr.end();
    if (found == numbers_.byAttr.end() || r->min > r->max || (r->min == r->max && (r->minOpen || r->maxOpen))) {
      if (q.explain) *q.explain = {"value", 0};  // no entity has a number there
      return 0;
    }
    const auto& index = found->second;
    Walk<NumberIndex> w{&index, {{index.from(r->min, r->minOpen), index.to(r->max, r->maxOpen)}}, i};
    size_t items = itemsIn(w);
    if (items < size || !compete) kind = Value, size = items, numberWalk = w;
  }
  Walk<StringIndex> textWalk;
  for (size_t i = 0; i < q.textRanges.size() && ownOrder; ++i) {
    const auto& r = q.textRanges[i];
    auto name = byAttr_.find(r.attribute);
    auto found = name == byAttr_.end() ? strings_.byAttr.end() : strings_.byAttr.find(&name->first);
    bool empty = r.max && (r.min > *r.max || (r.min == *r.max && (r.minOpen || r.maxOpen)));
    if (found == strings_.byAttr.end() || empty) {
      if (q.explain) *q.explain = {"text", 0};  // no entity has a string there
      return 0;
    }
    const auto& index = found->second;
    Walk<StringIndex> w{&index, {}, i};
    if (r.anyOf.empty())
      w.ranges.emplace_back(index.from(r.min, r.minOpen), r.max ? index.to(*r.max, r.maxOpen) : index.end());
    for (const auto& v : r.anyOf) w.ranges.emplace_back(index.from(v, false), index.to(v, false));
    size_t items = itemsIn(w);
    if (items < size || !compete) kind = Text, size = items, textWalk = w;
  }
  Walk<NumberIndex> timeWalk;
  for (size_t i = 0; i < q.timeRanges.size() && ownOrder; ++i) {
    const auto& r = q.timeRanges[i];
    const auto* index = timeIndex(r);
    if (!index || r.min > r.max || (r.min == r.max && (r.minOpen || r.maxOpen))) {
      if (q.explain) *q.explain = {"time", 0};  // no entity has such a time there
      return 0;
    }
    Walk<NumberIndex> w{index, {{index->from(r.min, r.minOpen), index->to(r.max, r.maxOpen)}}, i};
    size_t items = itemsIn(w);
    if (items < size || !compete) kind = Time, size = items, timeWalk = w;
  }
  const query::GeoIndex* geo = nullptr;
  if (q.geoProperty && q.geoBox) {
    auto found = byGeo_.find(*q.geoProperty);
    if (found == byGeo_.end()) {
      if (q.explain) *q.explain = {"geo", 0};  // no entity has that GeoProperty
      return 0;
    }
    geo = &found->second;
    size_t items = 0;
    if (compete)
      geo->forEachIntersecting(*q.geoBox, q.geoBoxFilter, [&](uint64_t) { return ++items < std::min(size, kProbe); });
    if (ownOrder && (items < size || !compete)) kind = Geo, size = items;
  }
  if (q.explain)
    *q.explain = {std::array{"ids", "type", "attrs", "geo", "value", "text", "time", "all"}[kind], size};
  // The selectors not walked are checked per candidate.
  for (auto& [selector, source] : sources)
    if (selector == Ids && kind != Ids) plan.filterIds(source.list);
  if (geo && kind != Geo) plan.filterGeo(*geo);
  auto accept = [&](const Entry* e) { return plan.offer(e, e->second.shape, visit); };  // false: stop
  auto walkRange = [&](const auto& w) {
    // An entity meets each range once, unless it has several values (it may then meet several).
    bool once = w.index->multiValued() == 0;
    for (auto [from, to] : w.ranges) {
      if (plan.countsByShape() && once) {  // the shape decides each item: count
        for (; from != to; ++from, ++plan.walked) plan.counted += plan.shapeOk(from->shape);
      } else if (!plan.walkItems(from, to, !once, visit)) {
        break;
      }
    }
    if (q.explain) q.explain->pathSize = std::max(size, plan.walked);
  };
  switch (kind) {
    case Value:
      plan.numbers.erase(plan.numbers.begin() + numberWalk.check);  // every item the walk gives meets it
      walkRange(numberWalk);
      break;
    case Text:
      --plan.unproven;  // every item the walk gives meets it
      walkRange(textWalk);
      break;
    case Time:
      --plan.unproven;
      walkRange(timeWalk);
      break;
    case Geo: {
      // A key comes again for each box of its entity (several instances, the antimeridian).
      boost::unordered_flat_set<const Entry*> seen;
      size_t went = 0;
      geo->forEachIntersecting(*q.geoBox, q.geoBoxFilter, [&](uint64_t key) {
        const auto* e = reinterpret_cast<const Entry*>(key);
        ++went;
        return !seen.insert(e).second || accept(e);
      });
      if (q.explain) q.explain->pathSize = std::max(size, went);
      break;
    }
    case All:
      for (const auto& entry : ids_)
        if (!accept(&entry)) break;
      break;
    default:
      if (!walked->second.sets.empty()) {
        walkMerged(walked->second.sets, accept);
      } else {
        for (const auto* id : walked->second.list)
          if (!accept(id)) break;
      }
  }
  return plan.counted;
}

const TenantIndex::NumberIndex* TenantIndex::timeIndex(const EntityQuery::TimeRange& r) const {
  using Of = EntityQuery::TimeRange::Of;
  if (r.of == Of::CreatedAt) return created_.find(nullptr);
  if (r.of == Of::ModifiedAt) return modified_.find(nullptr);
  auto name = byAttr_.find(r.attribute);
  if (name == byAttr_.end()) return nullptr;
  return (r.of == Of::Value ? times_ : observed_).find(&name->first);
}

std::pair<const TenantIndex::NumberIndex*, const std::string*> TenantIndex::orderIndex(
    const query::Ordering::IndexedOrder& order) const {
  using Of = query::Ordering::IndexedOrder::Of;
  if (order.of != Of::Value) return {(order.of == Of::CreatedAt ? created_ : modified_).find(nullptr), nullptr};
  auto name = byAttr_.find(order.attribute);
  if (name == byAttr_.end()) return {nullptr, nullptr};
  return {numbers_.find(&name->first), &name->first};
}

bool TenantIndex::ordersBy(const query::Ordering::IndexedOrder& order) const {
  auto [index, attr] = orderIndex(order);
  if (!index) return false;
  return attr ? index->sole() == attributeCount(*attr) : index->size() == ids_.size();
}

size_t TenantIndex::forEachInOrder(const EntityQuery& q, const query::Ordering::IndexedOrder& order,
                                   const Visit& visit) const {
  auto found = orderIndex(order);
  const auto& index = *found.first;  // every entity in it has one item: its value
  const std::string* attr = found.second;
  bool descending = order.descending;
  if (q.explain) *q.explain = {"order", index.size()};
  Plan plan(*this, q);
  plan.numbers = numberChecks(q.numberRanges);
  plan.unproven = q.textRanges.size() + q.timeRanges.size();
  plan.types = q.types.has_value();
  if (q.ids) plan.filterIds(idSource(*q.ids).list);
  if (q.geoProperty && q.geoBox) {
    plan.geo = true;  // no entity has the GeoProperty: an empty filter
    if (auto found = byGeo_.find(*q.geoProperty); found != byGeo_.end()) plan.filterGeo(found->second);
  }
  if (!descending) {
    if (!plan.walkItems(index.begin(), index.end(), false, visit)) return plan.counted;
  } else {
    // Backwards, value by value; the entities of one value in id order.
    for (auto end = index.end(); end != index.begin();) {
      auto first = index.firstOfValue(std::prev(end));
      if (!plan.walkItems(first, end, false, visit)) return plan.counted;
      end = first;
    }
  }
  // Then the candidates without the attribute (an absent value sorts last), in
  // id order; every entity has a createdAt and a modifiedAt (ordersBy).
  if (!attr) return plan.counted;
  EntityQuery rest = q;
  rest.explain = nullptr;
  rest.count = false;  // each one is visited (and passed on unless it has the attribute)
  return plan.counted + candidates(rest, false, [&](const std::string& id, bool certain) {
    const auto* shape = byId_.find(id)->entry->second.shape;
    return std::find(shape->attrs.begin(), shape->attrs.end(), attr) != shape->attrs.end() || visit(id, certain);
  });
}

void TenantIndex::walkMerged(const std::vector<const IdSet*>& sets,
                             const std::function<bool(const Entry*)>& accept) {
  if (sets.size() == 1) {
    for (const auto* e : *sets[0])
      if (!accept(e)) return;
    return;
  }
  // Several sets (types of a union, shapes with an attribute): a k-way merge
  // over their heads; an entry in several sets comes out once.
  using Head = std::pair<IdSet::const_iterator, IdSet::const_iterator>;
  std::vector<Head> heads;
  for (const auto* set : sets)
    if (!set->empty()) heads.emplace_back(set->begin(), set->end());
  auto later = [](const Head& a, const Head& b) { return ByValue()(*b.first, *a.first); };
  std::make_heap(heads.begin(), heads.end(), later);
  const Entry* last = nullptr;
  while (!heads.empty()) {
    std::pop_heap(heads.begin(), heads.end(), later);
    auto& head = heads.back();
    const Entry* e = *head.first;
    if (e != last && !accept(e)) return;
    last = e;
    if (++head.first == head.second)
      heads.pop_back();
    else
      std::push_heap(heads.begin(), heads.end(), later);
  }
}

}  // namespace allmende::store
