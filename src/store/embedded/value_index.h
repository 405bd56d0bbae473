// The ordered index of one attribute's values of one kind (numbers: Key
// double; strings: Key std::string_view, viewing strings the owner keeps
// alive) in a tenant: an item (value, entity, the entity's shape) for each
// distinct value an entity has in that attribute, in value order and, for
// equal values, in entity id order. A range of values is found in logarithmic
// time and walked in that order (both ways); the shape in each item lets a
// walk test types and attributes without touching the entity. Items of an
// entity always come and go together (add/remove one entity's values of the
// attribute). Not thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include <absl/container/btree_set.h>

namespace allmende::store {

// Entry: a node of the id map (Entry::first is the id); Shape: the entity's shape.
template <class Key, class Entry, class Shape>
class ValueIndex {
 public:
  using KeyType = Key;
  struct Item {
    Key value;
    const Entry* entry;
    const Shape* shape;
  };
  // A position between items: before (side -1) or after (side +1) every item of `value`.
  struct Bound {
    Key value;
    int side;
  };
  struct Less {
    using is_transparent = void;
    bool operator()(const Item& a, const Item& b) const {
      if (a.value != b.value) return a.value < b.value;
      return a.entry != b.entry && a.entry->first < b.entry->first;
    }
    bool operator()(const Item& a, const Bound& b) const {
      return a.value < b.value || (a.value == b.value && b.side > 0);
    }
    bool operator()(const Bound& b, const Item& a) const {
      return b.value < a.value || (b.value == a.value && b.side < 0);
    }
  };
  // A B-tree of 4 KiB nodes (absl::btree_set has 256 bytes): a walk of a long
  // range (a count) meets a sixteenth of the nodes, mostly in memory order; an
  // insert moves at most 4 KiB (count_query at 1M entities just after loading:
  // 873/s with 1 KiB nodes, 1,170/s with 4 KiB; partial_update unchanged).
  using Items = absl::container_internal::btree_set_container<absl::container_internal::btree<
      absl::container_internal::set_params<Item, Less, std::allocator<Item>, 4096, false>>>;
  using Iterator = typename Items::const_iterator;

  // One entity's values of the attribute: `values` (sorted, without repeats)
  // and whether its only one is sole (store::EntityMeta::Value).
  template <class Values>
  void add(const Entry* entry, const Shape* shape, const Values& values, bool sole) {
    Iterator hint = items_.end();
    for (const Key& v : values) hint = std::next(items_.insert(hint, Item{v, entry, shape}));
    count(values.size(), sole, +1);
  }
  template <class Values>
  void remove(const Entry* entry, const Values& values, bool sole) {
    for (const Key& v : values) items_.erase(Item{v, entry, nullptr});
    count(values.size(), sole, -1);
  }
  // Items added in bulk, in (value, id) order; each entity's values are counted by countLoaded.
  template <class Sorted>
  void load(const Sorted& sorted) {
    items_.insert(sorted.begin(), sorted.end());
  }
  void countLoaded(size_t values, bool sole) { count(values, sole, +1); }

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  // Entities with more than one value (a walk meets them more than once).
  size_t multiValued() const { return multi_; }
  // Entities whose value is sole.
  size_t sole() const { return sole_; }

  // The items with values in [min, max] (a bound is left out when open).
  Iterator from(Key min, bool open) const { return items_.lower_bound(Bound{min, open ? 1 : -1}); }
  Iterator to(Key max, bool open) const { return items_.lower_bound(Bound{max, open ? -1 : 1}); }
  // The first item of the value of `at` (for walking equal values in id order backwards).
  Iterator firstOfValue(Iterator at) const { return items_.lower_bound(Bound{at->value, -1}); }
  Iterator begin() const { return items_.begin(); }
  Iterator end() const { return items_.end(); }

 private:
  void count(size_t values, bool sole, int sign) {
    if (values > 1) multi_ += sign;
    if (sole) sole_ += sign;
  }

  Items items_;
  size_t multi_ = 0;
  size_t sole_ = 0;
};

}  // namespace allmende::store
