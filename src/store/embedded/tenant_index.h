// The in-memory indexes of one tenant in the embedded store: every entity id
// (ordered), entity shapes (the types and attributes entities share) with their
// entities, an R-tree per GeoProperty, ordered indexes of the numbers, strings,
// date-times and observedAt times of each attribute and of the entities'
// createdAt and modifiedAt (value_index.h), and, from the shapes, the type and
// attribute indexes and what discovery (/types, /attributes) reports. Rebuilt
// from the stored entities at start; kept current by every write. Not thread-
// safe: RocksStore guards it with its index mutex.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/container/small_vector.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "common/string_hash.h"
#include "query/geo.h"
#include "query/order_by.h"
#include "store/embedded/value_index.h"
#include "store/store.h"

namespace allmende::store {

class TenantIndex {
 public:
  void add(const std::string& id, const EntityMeta& meta);
  // While bulk loading (at start, only add()), geometries are collected and their
  // R-trees built once, packed, by endBulk(); so is the id hash.
  void beginBulk() { bulk_ = true; }
  void endBulk();
  void remove(const std::string& id, const EntityMeta& meta);
  // remove(old) + add(new), cheaper when only values changed (an update).
  void replace(const std::string& id, const EntityMeta& before, const EntityMeta& after);
  size_t size() const { return ids_.size(); }
  bool contains(std::string_view id) const { return byId_.contains(id); }
  // Whether the entity's history record (store/history.h HistoryEntity) was
  // written, as it is now, since the index was built: set after a write stores
  // it, forgotten when the entity's history is deleted (and when its shape
  // changes). False for an unknown id; setting one is ignored.
  bool historyRecorded(std::string_view id) const;
  void setHistoryRecorded(std::string_view id, bool recorded);

  // Calls visit(id, certain) for each candidate of the query's selectors and
  // value conditions until visit returns false: in id order, or, when the
  // planner walks a range of a value index, in the order of that value (ties
  // by id), or, when it walks the geo index, in the R-tree's order. The plan depends on the query's conditions and the index's
  // contents only (not on offset, limit or count), so pages of an unchanged
  // tenant neither repeat nor skip. `certain`: the indexes alone prove that
  // the candidate matches (only with query.selectorsExact); others still need
  // the exact predicate. With query.count and limit 0, certain candidates are
  // only counted, not visited; returns their number.
  using Visit = std::function<bool(const std::string& id, bool certain)>;
  size_t forEachCandidate(const EntityQuery& query, const Visit& visit) const;
  // Whether forEachInOrder can follow the order: by an attribute's value when
  // every entity that has the attribute has a sole number in it
  // (store::EntityMeta::Number); by createdAt or modifiedAt when every entity has one.
  bool ordersBy(const query::Ordering::IndexedOrder& order) const;
  // Like forEachCandidate, in the order of the value (ascending or
  // descending, ties by id), then those without the attribute, in id order:
  // the order query::Ordering gives a single such item. Needs ordersBy.
  size_t forEachInOrder(const EntityQuery& query, const query::Ordering::IndexedOrder& order,
                        const Visit& visit) const;

  std::map<std::string, Store::TypeInfo> types() const;
  std::map<std::string, Store::AttributeInfo> attributes() const;

 private:
  struct Shape;
  // Numeric values of one attribute of an entity (at most two; more marks "many").
  struct Numbers {
    double values[2];
    uint8_t count = 0;
    bool many = false;
  };
  // What the index knows of one entity, next to its id, so that membership tests
  // need no set look-up: its shape and the numeric values of its attributes.
  struct Facts {
    Shape* shape = nullptr;
    std::vector<std::pair<const std::string*, Numbers>> numbers;
    bool historyRecorded = false;
    bool expires = false;  // the entity or an instance has an expiresAt
  };
  using Entry = std::pair<const std::string, Facts>;
  struct ByValue {
    bool operator()(const Entry* a, const Entry* b) const { return a->first < b->first; }
  };
  using IdSet = std::set<const Entry*, ByValue>;
  using IdList = std::vector<const Entry*>;  // sorted by id

  // The types and attributes (with their kinds) that entities share, and those
  // entities. Names point to interned strings (keys of byType_, byAttr_ and
  // kinds_); lists are sorted by address and free of repeats. An entity is in
  // exactly one shape, so a write costs one ordered insert for all its types
  // and attributes and the discovery counts are the shapes' sizes.
  struct ShapeKey {
    std::vector<const std::string*> types;
    std::vector<std::pair<const std::string*, const std::string*>> kinds;  // attribute, kind
    bool operator==(const ShapeKey&) const = default;
  };
  struct ShapeHash {
    size_t operator()(const ShapeKey& k) const;
  };
  struct Shape {
    const ShapeKey* key = nullptr;           // the map key it is stored under
    std::vector<const std::string*> attrs;  // the attribute names of key->kinds
    IdSet ids;
  };

  // A candidate source in id order: index sets (merged), or a list.
  struct Source {
    std::vector<const IdSet*> sets;
    IdList list;
    size_t size() const;
  };
  Source typeSource(const std::vector<std::vector<std::string>>& dnf) const;
  Source attrSource(const std::vector<std::string>& attrs) const;
  Source idSource(const std::vector<std::string>& ids) const;
  static bool hasTypes(const Shape* shape, const std::vector<std::vector<std::string>>& dnf);
  static bool hasAnyAttr(const Shape* shape, const std::vector<std::string>& attrs);
  // Calls accept(entry) for each entry of the sets, in id order, each once, until it returns false.
  static void walkMerged(const std::vector<const IdSet*>& sets, const std::function<bool(const Entry*)>& accept);
  // The shape of the entity `meta` describes, made if new.
  Shape* shapeOf(const EntityMeta& meta);
  // How many entities have the type (those of its shapes).
  size_t typeCount(const std::string& type) const;
  Shape* findShape(const EntityMeta& meta);
  void dropFromShape(const Entry* entry);
  void setNumbers(Facts& facts, const EntityMeta& meta) const;

  std::map<std::string, Facts> ids_;
  // The same entries by id: a flat hash set of (hash, entry), so that growing it
  // moves 16-byte slots and reads no id.
  struct IdSlot {
    size_t hash;
    Entry* entry;
  };
  struct IdSlotHash {
    using is_transparent = void;
    size_t operator()(const IdSlot& s) const { return s.hash; }
    size_t operator()(std::string_view id) const { return std::hash<std::string_view>()(id); }
  };
  struct IdSlotEq {
    using is_transparent = void;
    bool operator()(const IdSlot& a, const IdSlot& b) const { return a.entry == b.entry; }
    bool operator()(std::string_view id, const IdSlot& s) const { return s.entry->first == id; }
    bool operator()(const IdSlot& s, std::string_view id) const { return s.entry->first == id; }
  };
  boost::unordered_flat_set<IdSlot, IdSlotHash, IdSlotEq> byId_;
  void addToIdHash(Entry& entry) { byId_.insert(IdSlot{IdSlotHash()(entry.first), &entry}); }
  template <class T>
  using ByName = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;
  // The entry of `name` in `map`, made if missing.
  template <class T>
  static typename ByName<T>::value_type& slot(ByName<T>& map, std::string_view name) {
    auto it = map.find(name);
    return it != map.end() ? *it : *map.try_emplace(std::string(name)).first;
  }
  ByName<std::unordered_set<Shape*>> byType_;  // the shapes with the type
  ByName<std::unordered_set<Shape*>> byAttr_;  // the shapes with the attribute
  std::unordered_set<std::string, StringHash, std::equal_to<>> kinds_;  // attribute kind names (a handful)
  std::unordered_map<ShapeKey, Shape, ShapeHash> shapes_;
  ShapeKey shapeKey_;  // findShape's scratch key
  // The shape the last write found, and the names it found it by (views of the
  // interned names): the entities of a batch mostly share one, and then need no
  // look-up of their names. Cleared when a shape is dropped.
  struct LastShape {
    Shape* shape = nullptr;
    std::vector<std::string_view> types;
    std::vector<std::pair<std::string_view, std::string_view>> attrs;
  } last_;
  ByName<query::GeoIndex> byGeo_;  // keys: addresses of ids_ entries
  bool bulk_ = false;
  ByName<std::vector<std::pair<uint64_t, query::GeoBox>>> pendingGeo_;
  // A query's numeric conditions with each one's interned attribute name (null: no entity has it).
  using NumberChecks = std::vector<std::pair<const EntityQuery::NumberRange*, const std::string*>>;
  NumberChecks numberChecks(const std::vector<EntityQuery::NumberRange>& ranges) const;
  // Whether the entity's numbers meet the checks: No, Yes, or Maybe (the index cannot tell).
  enum class Verdict { No, Maybe, Yes };
  static Verdict numbersMatch(const Entry* e, const NumberChecks& checks);

  // The value indexes of one kind, by interned attribute name (a key of byAttr_;
  // null for the entity's own createdAt and modifiedAt), and, while bulk
  // loading, their items in id order.
  using NumberIndex = ValueIndex<double, Entry, Shape>;
  using StringIndex = ValueIndex<std::string_view, Entry, Shape>;  // views of texts_ keys
  template <class Index>
  struct Indexes {
    std::unordered_map<const std::string*, Index> byAttr;
    std::unordered_map<const std::string*, std::vector<typename Index::Item>> pending;
    const Index* find(const std::string* attr) const {
      auto it = byAttr.find(attr);
      return it == byAttr.end() ? nullptr : &it->second;
    }
  };
  Indexes<NumberIndex> numbers_;
  Indexes<StringIndex> strings_;
  Indexes<NumberIndex> times_, observed_, created_, modified_;  // epoch ms
  // The distinct strings the string indexes hold, each with the number of items holding it.
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> texts_;
  size_t expiring_ = 0;  // entities whose Facts::expires is set
  // One attribute's values of one kind of an entity (EntityMeta lists them together).
  // (Held inline: a write computes them twice and should not allocate for them.)
  template <class T>
  struct Group {
    const std::string* attribute;                  // interned
    boost::container::small_vector<T, 2> values;  // sorted, without repeats
    bool sole;
    bool operator==(const Group&) const = default;
  };
  template <class T>
  using Groups = boost::container::small_vector<Group<T>, 6>;
  template <class T>
  Groups<T> groups(const std::vector<EntityMeta::Value<T>>& values) const;
  // The group of the entity's own createdAt or modifiedAt (none for 0).
  static Groups<double> moment(int64_t ms);
  template <class Index>
  void addValues(const Entry* entry, const Groups<typename Index::KeyType>& groups, Indexes<Index>& indexes);
  template <class Index>
  void removeValues(const Entry* entry, const Groups<typename Index::KeyType>& groups, Indexes<Index>& indexes);
  // The groups of `before` not in `after` leave the indexes, those of `after` not in `before` join.
  template <class Index>
  void replaceValues(const Entry* entry, Groups<typename Index::KeyType> before,
                     Groups<typename Index::KeyType> after, Indexes<Index>& indexes);
  // Calls fn(groups, indexes) for each kind of value `meta` lists.
  template <class Fn>
  void eachKind(const EntityMeta& meta, Fn&& fn);
  // Every value of `meta` into or out of its index.
  void addValues(const Entry* entry, const EntityMeta& meta);
  void removeValues(const Entry* entry, const EntityMeta& meta);
  // The index a time condition reads, or null when no entity has such a time.
  const NumberIndex* timeIndex(const EntityQuery::TimeRange& r) const;
  // The index that holds the values an order sorts by, with the attribute's
  // interned name (null for createdAt and modifiedAt); null when none does.
  std::pair<const NumberIndex*, const std::string*> orderIndex(const query::Ordering::IndexedOrder& order) const;
  void setExpires(Facts& facts, bool expires);
  // How many entities have the attribute (those of its shapes).
  size_t attributeCount(const std::string& attribute) const;

  // What a walk checks per candidate, prepared once per query (tenant_index.cpp).
  struct Plan;
  // forEachCandidate; in id order unless ownOrder (a numeric range or the geo index may then be walked).
  size_t candidates(const EntityQuery& query, bool ownOrder, const Visit& visit) const;
};

}  // namespace allmende::store
