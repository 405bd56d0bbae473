// Keeping a tenant's indexes current (tenant_index.h): an entity's shape, its
// numeric facts, geometries and values into or out of the indexes on each
// write; the bulk load at start; what discovery reports. Candidate selection
// (the planner) is in planner.cpp.
#include "store/embedded/tenant_index.h"

#include <algorithm>

namespace allmende::store {

size_t TenantIndex::ShapeHash::operator()(const ShapeKey& k) const {
  size_t h = k.types.size();
  auto mix = [&h](const void* p) { h = (h ^ reinterpret_cast<size_t>(p)) * 0x9E3779B97F4A7C15ull; };
  for (const auto* t : k.types) mix(t);
  for (const auto& [attr, kind] : k.kinds) {
    mix(attr);
    mix(kind);
  }
  return h;
}

// Inserts hint at the end: at start the ids come in order, so each insertion is
// then constant time; a wrong hint costs only the usual search.
void TenantIndex::add(const std::string& id, const EntityMeta& meta) {
  auto& entry = *ids_.try_emplace(ids_.end(), id);
  if (!bulk_) addToIdHash(entry);
  const Entry* key = &entry;
  entry.second = Facts{};
  auto* shape = shapeOf(meta);
  shape->ids.insert(shape->ids.end(), key);
  entry.second.shape = shape;
  for (const auto& [property, box] : meta.geometries) {
    if (bulk_)
      slot(pendingGeo_, property).second.emplace_back(reinterpret_cast<uint64_t>(key), box);
    else
      slot(byGeo_, property).second.insert(reinterpret_cast<uint64_t>(key), box);
  }
  setNumbers(entry.second, meta);
  setExpires(entry.second, meta.expiresAtMs != 0);
  addValues(key, meta);
}

void TenantIndex::setExpires(Facts& facts, bool expires) {
  expiring_ += expires - facts.expires;
  facts.expires = expires;
}

template <class T>
TenantIndex::Groups<T> TenantIndex::groups(const std::vector<EntityMeta::Value<T>>& values) const {
  Groups<T> out;
  for (size_t i = 0; i < values.size();) {
    size_t end = i;
    while (end < values.size() && values[end].attribute == values[i].attribute) ++end;
    auto name = byAttr_.find(values[i].attribute);
    if (name != byAttr_.end()) {
      auto& g = out.emplace_back(Group<T>{&name->first, {}, end - i == 1 && values[i].sole});
      for (size_t k = i; k < end; ++k) g.values.push_back(values[k].value);
      std::sort(g.values.begin(), g.values.end());
      g.values.erase(std::unique(g.values.begin(), g.values.end()), g.values.end());
    }
    i = end;
  }
  return out;
}

TenantIndex::Groups<double> TenantIndex::moment(int64_t ms) {
  Groups<double> out;
  if (ms) out.push_back(Group<double>{nullptr, {double(ms)}, true});
  return out;
}

template <class Index>
void TenantIndex::addValues(const Entry* entry, const Groups<typename Index::KeyType>& groups,
                            Indexes<Index>& indexes) {
  for (const auto& g : groups) {
    auto values = g.values;
    if constexpr (std::is_same_v<typename Index::KeyType, std::string_view>)  // the index views strings it keeps
      for (auto& v : values) {
        auto it = texts_.find(v);
        if (it == texts_.end()) it = texts_.emplace(std::string(v), 0).first;
        ++it->second;
        v = it->first;
      }
    if (bulk_) {
      auto& items = indexes.pending[g.attribute];
      for (const auto& v : values) items.push_back({v, entry, entry->second.shape});
      indexes.byAttr[g.attribute].countLoaded(values.size(), g.sole);
    } else {
      indexes.byAttr[g.attribute].add(entry, entry->second.shape, values, g.sole);
    }
  }
}

template <class Index>
void TenantIndex::removeValues(const Entry* entry, const Groups<typename Index::KeyType>& groups,
                               Indexes<Index>& indexes) {
  for (const auto& g : groups) {
    auto it = indexes.byAttr.find(g.attribute);
    if (it == indexes.byAttr.end()) continue;
    it->second.remove(entry, g.values, g.sole);
    if (it->second.empty()) indexes.byAttr.erase(it);
    if constexpr (std::is_same_v<typename Index::KeyType, std::string_view>)
      for (const auto& v : g.values)
        if (auto text = texts_.find(v); text != texts_.end() && --text->second == 0) texts_.erase(text);
  }
}

template <class Index>
void TenantIndex::replaceValues(const Entry* entry, Groups<typename Index::KeyType> before,
                                Groups<typename Index::KeyType> after, Indexes<Index>& indexes) {
  before.erase(std::remove_if(before.begin(), before.end(),
                              [&after](const auto& g) {
                                auto same = std::find(after.begin(), after.end(), g);
                                if (same == after.end()) return false;
                                after.erase(same);
                                return true;
                              }),
               before.end());
  removeValues(entry, before, indexes);
  addValues(entry, after, indexes);
}

template <class Fn>
void TenantIndex::eachKind(const EntityMeta& meta, Fn&& fn) {
  fn(groups(meta.numbers), numbers_);
  fn(groups(meta.strings), strings_);
  fn(groups(meta.times), times_);
  fn(groups(meta.observedAt), observed_);
  fn(moment(meta.createdAtMs), created_);
  fn(moment(meta.modifiedAtMs), modified_);
}

void TenantIndex::addValues(const Entry* entry, const EntityMeta& meta) {
  eachKind(meta, [&](const auto& groups, auto& indexes) { addValues(entry, groups, indexes); });
}

void TenantIndex::removeValues(const Entry* entry, const EntityMeta& meta) {
  eachKind(meta, [&](const auto& groups, auto& indexes) { removeValues(entry, groups, indexes); });
}

size_t TenantIndex::attributeCount(const std::string& attribute) const {
  size_t n = 0;
  if (auto it = byAttr_.find(attribute); it != byAttr_.end())
    for (const auto* shape : it->second) n += shape->ids.size();
  return n;
}

TenantIndex::Shape* TenantIndex::shapeOf(const EntityMeta& meta) {
  if (last_.shape && std::ranges::equal(meta.types, last_.types) && std::ranges::equal(meta.attrs, last_.attrs))
    return last_.shape;
  last_.types.assign(meta.types.begin(), meta.types.end());
  last_.attrs.assign(meta.attrs.begin(), meta.attrs.end());
  for (const auto& t : meta.types) slot(byType_, t);
  last_.shape = findShape(meta);
  // The names are kept as views of the interned strings (meta's die with its entity).
  for (size_t i = 0; i < meta.types.size(); ++i) last_.types[i] = byType_.find(meta.types[i])->first;
  for (auto& [attr, kind] : last_.attrs) {
    attr = byAttr_.find(attr)->first;
    kind = *kinds_.find(kind);
  }
  return last_.shape;
}

// The shape of the entity `meta` describes (made when it is the first of its
// shape). Its types must already be keys of byType_.
TenantIndex::Shape* TenantIndex::findShape(const EntityMeta& meta) {
  ShapeKey& k = shapeKey_;  // reused: most writes find their shape and allocate nothing
  k.types.clear();
  for (const auto& t : meta.types) k.types.push_back(&byType_.find(t)->first);
  k.kinds.clear();
  for (const auto& [attr, kind] : meta.attrs) {
    auto interned = kinds_.find(kind);
    if (interned == kinds_.end()) interned = kinds_.emplace(kind).first;
    k.kinds.emplace_back(&slot(byAttr_, attr).first, &*interned);
  }
  std::sort(k.types.begin(), k.types.end());
  k.types.erase(std::unique(k.types.begin(), k.types.end()), k.types.end());
  std::sort(k.kinds.begin(), k.kinds.end());
  k.kinds.erase(std::unique(k.kinds.begin(), k.kinds.end()), k.kinds.end());
  if (auto it = shapes_.find(k); it != shapes_.end()) return &it->second;
  auto it = shapes_.try_emplace(k).first;
  auto& shape = it->second;
  shape.key = &it->first;
  for (const auto& [attr, kind] : it->first.kinds)
    if (shape.attrs.empty() || shape.attrs.back() != attr) {
      shape.attrs.push_back(attr);
      byAttr_.find(*attr)->second.insert(&shape);
    }
  for (const auto* type : it->first.types) byType_.find(*type)->second.insert(&shape);
  return &shape;
}

// Takes the entry out of its shape; a shape left empty is dropped with the
// type and attribute names only it had.
void TenantIndex::dropFromShape(const Entry* entry) {
  auto* shape = entry->second.shape;
  shape->ids.erase(entry);
  if (!shape->ids.empty()) return;
  last_ = {};  // it may name the shape or its names
  for (const auto* attr : shape->attrs) {
    auto it = byAttr_.find(*attr);
    it->second.erase(shape);
    if (it->second.empty()) byAttr_.erase(it);
  }
  for (const auto* type : shape->key->types) {
    auto it = byType_.find(*type);
    it->second.erase(shape);
    if (it->second.empty()) byType_.erase(it);
  }
  shapes_.erase(shapes_.find(*shape->key));  // by iterator: the key lives in the node
}

// meta.numbers lists each attribute's numbers together; every such attribute is
// one of the entity's attributes, so its interned name is a key of byAttr_
// (found by hash: a search of the shape's names would make an entity with
// many numeric attributes cost their number squared).
void TenantIndex::setNumbers(Facts& facts, const EntityMeta& meta) const {
  facts.numbers.clear();
  size_t names = 0;  // the numbers come grouped by attribute: one entry per group, no spare room
  for (size_t i = 0; i < meta.numbers.size(); ++i)
    names += i == 0 || meta.numbers[i].attribute != meta.numbers[i - 1].attribute;
  facts.numbers.reserve(names);
  for (const auto& number : meta.numbers) {
    std::string_view attr = number.attribute;
    if (facts.numbers.empty() || *facts.numbers.back().first != attr) {
      auto name = byAttr_.find(attr);
      if (name == byAttr_.end()) continue;
      facts.numbers.emplace_back(&name->first, Numbers{});
    }
    auto& n = facts.numbers.back().second;
    if (n.count < 2)
      n.values[n.count++] = number.value;
    else
      n.many = true;
  }
}

void TenantIndex::replace(const std::string& id, const EntityMeta& before, const EntityMeta& after) {
  auto it = byId_.find(id);
  if (it == byId_.end() || before.types != after.types || before.attrs != after.attrs ||
      before.geometries.size() != after.geometries.size()) {
    remove(id, before);
    add(id, after);
    return;
  }
  for (size_t i = 0; i < before.geometries.size(); ++i) {
    const auto& [p1, b1] = before.geometries[i];
    const auto& [p2, b2] = after.geometries[i];
    if (p1 != p2 || b1.minLon != b2.minLon || b1.minLat != b2.minLat || b1.maxLon != b2.maxLon ||
        b1.maxLat != b2.maxLat) {
      remove(id, before);
      add(id, after);
      return;
    }
  }
  // Same types, attributes and geometries: only the values and the expiry may
  // differ; the value indexes change for the attributes whose values did.
  auto* entry = it->entry;
  setNumbers(entry->second, after);
  setExpires(entry->second, after.expiresAtMs != 0);
  if (before.numbers != after.numbers) replaceValues(entry, groups(before.numbers), groups(after.numbers), numbers_);
  if (before.strings != after.strings) replaceValues(entry, groups(before.strings), groups(after.strings), strings_);
  if (before.times != after.times) replaceValues(entry, groups(before.times), groups(after.times), times_);
  if (before.observedAt != after.observedAt)
    replaceValues(entry, groups(before.observedAt), groups(after.observedAt), observed_);
  if (before.createdAtMs != after.createdAtMs)
    replaceValues(entry, moment(before.createdAtMs), moment(after.createdAtMs), created_);
  if (before.modifiedAtMs != after.modifiedAtMs)
    replaceValues(entry, moment(before.modifiedAtMs), moment(after.modifiedAtMs), modified_);
}

bool TenantIndex::historyRecorded(std::string_view id) const {
  auto it = byId_.find(id);
  return it != byId_.end() && it->entry->second.historyRecorded;
}

void TenantIndex::setHistoryRecorded(std::string_view id, bool recorded) {
  if (auto it = byId_.find(id); it != byId_.end()) it->entry->second.historyRecorded = recorded;
}

void TenantIndex::endBulk() {
  byId_.reserve(ids_.size());  // filled once, without rehashing on the way
  for (auto& entry : ids_) addToIdHash(entry);
  for (auto& [property, pairs] : pendingGeo_) byGeo_[property].bulkLoad(pairs);
  pendingGeo_.clear();
  // The entities came in id order: sorting by value alone keeps ties in id order.
  auto load = [](auto& indexes) {
    for (auto& [attribute, items] : indexes.pending) {
      std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.value < b.value; });
      indexes.byAttr[attribute].load(items);
    }
    indexes.pending.clear();
  };
  load(numbers_);
  load(strings_);
  for (auto* indexes : {&times_, &observed_, &created_, &modified_}) load(*indexes);
  bulk_ = false;
}

void TenantIndex::remove(const std::string& id, const EntityMeta& meta) {
  auto found = byId_.find(id);
  if (found == byId_.end()) return;
  const Entry* key = found->entry;
  removeValues(key, meta);  // before the shape (and the names) may go
  setExpires(found->entry->second, false);
  dropFromShape(key);
  for (const auto& [property, box] : meta.geometries) {
    if (auto g = byGeo_.find(property); g != byGeo_.end()) {
      g->second.remove(reinterpret_cast<uint64_t>(key), box);
      if (g->second.size() == 0) byGeo_.erase(g);
    }
  }
  byId_.erase(found);
  ids_.erase(id);
}

// Discovery reads the shapes: an entity counts for each of its shape's types and attributes.
std::map<std::string, Store::TypeInfo> TenantIndex::types() const {
  std::map<std::string, Store::TypeInfo> out;
  for (const auto& [key, shape] : shapes_)
    for (const auto* type : key.types) {
      auto& info = out[*type];
      info.entityCount = typeCount(*type);
      for (const auto& [attr, kind] : key.kinds) info.attributes[*attr].insert(*kind);
    }
  return out;
}

std::map<std::string, Store::AttributeInfo> TenantIndex::attributes() const {
  std::map<std::string, Store::AttributeInfo> out;
  for (const auto& [key, shape] : shapes_) {
    for (const auto& [attr, kind] : key.kinds) {
      auto& info = out[*attr];
      info.kinds.insert(*kind);
      for (const auto* type : key.types) info.types.insert(*type);
    }
    for (const auto* attr : shape.attrs) out[*attr].entityCount += shape.ids.size();
  }
  return out;
}

}  // namespace allmende::store
