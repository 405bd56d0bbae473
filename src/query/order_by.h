// Entity ordering (clause 4.23): orderBy items "path[;asc|;desc|;dist-asc|;dist-desc]"
// where path is id, createdAt, modifiedAt, an attribute, attr.sub,
// attr.createdAt/modifiedAt/observedAt or attr[key.key]; distance ordering
// from a reference point (orderFrom); string comparison under an optional ICU
// collation (a BCP 47 tag, e.g. "de-u-co-phonebk"; default: code points).
// Values of different kinds order numbers < strings < booleans < other, and an
// absent value comes last. Parsed once per request; immutable afterwards.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace allmende::jsonld {
class Context;
}

namespace allmende::query {

class Ordering {
 public:
  // One entity's sort key, computed once per matching entity.
  struct Value {
    int rank = 4;  // 0 number, 1 string, 2 boolean, 3 other, 4 absent
    double number = 0;
    std::string text;
  };
  using Key = std::vector<Value>;

  // Throws ngsi::Error BadRequestData for a malformed item, a distance order
  // without orderFrom, or a collation ICU cannot honour.
  Ordering(std::string_view orderBy, const jsonld::Context& ctx, const boost::json::value& orderFrom,
           std::optional<std::string_view> collation);
  ~Ordering();

  Key key(const boost::json::object& entity, int64_t nowMs) const;
  // What a one-item ordering sorts by when a store may walk an index of it in
  // order: an attribute's value (no sub-attribute, member, key path or
  // distance), or the entity's own createdAt or modifiedAt.
  struct IndexedOrder {
    enum class Of { Value, CreatedAt, ModifiedAt } of = Of::Value;
    std::string attribute;  // for Of::Value
    bool descending = false;
  };
  std::optional<IndexedOrder> indexedOrder() const;
  bool less(const Key& a, const Key& b) const;

 private:
  struct Item;
  struct Collation;
  std::vector<Item> items_;
  std::optional<std::pair<double, double>> from_;
  std::shared_ptr<Collation> collation_;
};

}  // namespace allmende::query
