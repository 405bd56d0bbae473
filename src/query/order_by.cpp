// Sort keys: each item reads one value from the entity (the default instance
// of an attribute, else its first unexpired instance); keys compare item by
// item, each ascending or descending.
#include "query/order_by.h"

#include <unicode/coll.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <boost/json.hpp>

#include "jsonld/context.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"
#include "query/geo.h"

namespace allmende::query {

namespace json = boost::json;

struct Ordering::Item {
  enum class Kind { Id, CreatedAt, ModifiedAt, Attribute } kind = Kind::Attribute;
  std::vector<std::string> attributes;  // attribute IRI, sub-attribute IRIs
  std::string member = "value";         // or createdAt, modifiedAt, observedAt
  std::vector<std::string> valuePath;   // keys inside the value
  bool descending = false;
  bool distance = false;
};

struct Ordering::Collation {
  std::unique_ptr<icu::Collator> collator;
};

namespace {

[[noreturn]] void bad(const std::string& detail) { ngsi::fail(ngsi::ErrorType::BadRequestData, detail); }

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

const json::object* pickInstance(const json::array& instances, int64_t now) {
  const json::object* first = nullptr;
  for (const auto& inst : instances) {
    if (!inst.is_object() || ngsi::isExpired(inst.get_object(), now)) continue;
    if (ngsi::datasetIdOf(inst.get_object()).empty()) return &inst.get_object();
    if (!first) first = &inst.get_object();
  }
  return first;
}

Ordering::Value valueOf(const json::value& v) {
  Ordering::Value out;
  if (v.is_number()) {
    out.rank = 0;
    out.number = v.to_number<double>();
  } else if (v.is_string()) {
    out.rank = 1;
    out.text = std::string(v.get_string());
  } else if (v.is_bool()) {
    out.rank = 2;
    out.number = v.get_bool() ? 1 : 0;
  } else if (!v.is_null()) {
    out.rank = 3;
    out.text = json::serialize(v);
  }
  return out;
}

}  // namespace

Ordering::Ordering(std::string_view orderBy, const jsonld::Context& ctx, const json::value& orderFrom,
                   std::optional<std::string_view> collation) {
  if (orderBy.empty()) bad("orderBy must not be empty");
  for (auto part : split(orderBy, ',')) {
    auto pieces = split(part, ';');
    if (pieces.size() > 2) bad("orderBy item '" + std::string(part) + "' has more than one direction");
    Item item;
    if (pieces.size() == 2) {
      auto dir = pieces[1];
      item.descending = dir == "desc" || dir == "dist-desc";
      item.distance = dir == "dist-asc" || dir == "dist-desc";
      if (dir != "asc" && dir != "desc" && !item.distance)
        bad("orderBy direction '" + std::string(dir) + "' must be asc, desc, dist-asc or dist-desc");
    }
    std::string_view path = pieces[0];
    if (path.empty()) bad("orderBy has an empty item");
    if (auto bracket = path.find('['); bracket != std::string_view::npos) {
      if (path.back() != ']') bad("orderBy item '" + std::string(path) + "' has an unclosed [");
      for (auto k : split(path.substr(bracket + 1, path.size() - bracket - 2), '.')) {
        if (k.empty()) bad("orderBy item '" + std::string(path) + "' has an empty key");
        item.valuePath.emplace_back(k);
      }
      path = path.substr(0, bracket);
    }
    auto names = split(path, '.');
    if (names.size() == 1 && names[0] == "id") {
      item.kind = Item::Kind::Id;
    } else if (names.size() == 1 && (names[0] == "createdAt" || names[0] == "modifiedAt")) {
      item.kind = names[0] == "createdAt" ? Item::Kind::CreatedAt : Item::Kind::ModifiedAt;
    } else {
      for (size_t i = 0; i < names.size(); ++i) {
        std::string name(names[i]);
        if (!ngsi::isValidName(name)) bad("orderBy item '" + std::string(part) + "' has an invalid name");
        if (i > 0 && i + 1 == names.size() &&
            (name == "createdAt" || name == "modifiedAt" || name == "observedAt")) {
          item.member = name;
          continue;
        }
        item.attributes.push_back(ctx.expand(name));
      }
    }
    if (item.distance && item.kind != Item::Kind::Attribute) bad("distance ordering needs a GeoProperty");
    items_.push_back(std::move(item));
  }
  bool distance = false;
  for (const auto& i : items_) distance = distance || i.distance;
  if (distance) {
    json::value from = orderFrom;
    if (from.is_string()) {
      json::error_code ec;
      from = json::parse(from.get_string(), ec);
      if (ec) bad("orderFrom must be a JSON array [longitude, latitude]");
    }
    if (!from.is_array() || from.get_array().size() < 2 || !from.get_array()[0].is_number() ||
        !from.get_array()[1].is_number())
      bad("ordering by distance needs orderFrom (coordinates) as [longitude, latitude]");
    from_ = std::pair{from.get_array()[0].to_number<double>(), from.get_array()[1].to_number<double>()};
  }
  if (collation) {
    UErrorCode status = U_ZERO_ERROR;
    auto locale = icu::Locale::forLanguageTag(icu::StringPiece(collation->data(), static_cast<int32_t>(collation->size())), status);
    if (U_FAILURE(status) || locale.isBogus()) bad("collation '" + std::string(*collation) + "' is not a BCP 47 language tag");
    collation_ = std::make_shared<Collation>();
    collation_->collator.reset(icu::Collator::createInstance(locale, status));
    if (U_FAILURE(status) || !collation_->collator) bad("collation '" + std::string(*collation) + "' is not supported");
  }
}

Ordering::~Ordering() = default;

Ordering::Key Ordering::key(const json::object& entity, int64_t now) const {
  Key key;
  for (const auto& item : items_) {
    Value v;
    switch (item.kind) {
      case Item::Kind::Id:
        v = valueOf(entity.at(ngsi::key::id));
        break;
      case Item::Kind::CreatedAt:
      case Item::Kind::ModifiedAt: {
        auto* t = entity.if_contains(item.kind == Item::Kind::CreatedAt ? ngsi::key::createdAt : ngsi::key::modifiedAt);
        if (t) v = valueOf(*t);
        break;
      }
      case Item::Kind::Attribute: {
        const json::object* holder = nullptr;
        auto* attrs = entity.if_contains(ngsi::key::attrs);
        auto* instances = attrs ? attrs->get_object().if_contains(item.attributes[0]) : nullptr;
        if (instances && instances->is_array()) holder = pickInstance(instances->get_array(), now);
        for (size_t i = 1; holder && i < item.attributes.size(); ++i) {
          auto* subs = holder->if_contains(ngsi::key::subs);
          auto* sub = subs && subs->is_object() ? subs->get_object().if_contains(item.attributes[i]) : nullptr;
          holder = sub && sub->is_object() ? &sub->get_object() : nullptr;
        }
        if (!holder) break;
        if (item.distance) {
          auto* g = holder->if_contains("value");
          if (auto d = g ? distanceMeters(*g, from_->first, from_->second) : std::nullopt) {
            v.rank = 0;
            v.number = *d;
          }
          break;
        }
        std::string member = item.member;
        if (member == "value") member = std::string(ngsi::valueMember(ngsi::kindOf(*holder)));
        const json::value* value = holder->if_contains(member);
        for (const auto& k : item.valuePath)
          value = value && value->is_object() ? value->get_object().if_contains(k) : nullptr;
        if (value && (member == "observedAt") && value->is_string())
          if (auto ms = ngsi::parseDateTime(value->get_string())) {
            v.rank = 0;
            v.number = static_cast<double>(*ms);
            break;
          }
        if (value) v = valueOf(*value);
        break;
      }
    }
    key.push_back(std::move(v));
  }
  return key;
}

std::optional<Ordering::IndexedOrder> Ordering::indexedOrder() const {
  if (items_.size() != 1) return std::nullopt;
  const auto& item = items_[0];
  using Of = IndexedOrder::Of;
  if (item.kind == Item::Kind::CreatedAt || item.kind == Item::Kind::ModifiedAt)
    return IndexedOrder{item.kind == Item::Kind::CreatedAt ? Of::CreatedAt : Of::ModifiedAt, "", item.descending};
  if (item.kind != Item::Kind::Attribute || item.attributes.size() != 1 || item.member != "value" ||
      !item.valuePath.empty() || item.distance)
    return std::nullopt;
  return IndexedOrder{Of::Value, item.attributes[0], item.descending};
}

bool Ordering::less(const Key& a, const Key& b) const {
  for (size_t i = 0; i < items_.size(); ++i) {
    const Value& x = a[i];
    const Value& y = b[i];
    int cmp = 0;
    if (x.rank != y.rank) {
      if (x.rank == 4 || y.rank == 4) return y.rank == 4;  // absent last, in either direction
      cmp = x.rank < y.rank ? -1 : 1;
    } else if (x.rank == 0 || x.rank == 2) {
      cmp = x.number < y.number ? -1 : x.number > y.number ? 1 : 0;
    } else if (x.rank == 1 && collation_) {
      UErrorCode status = U_ZERO_ERROR;
      cmp = collation_->collator->compareUTF8(icu::StringPiece(x.text), icu::StringPiece(y.text), status);
    } else {
      cmp = x.text.compare(y.text);
    }
    if (cmp != 0) return items_[i].descending ? cmp > 0 : cmp < 0;
  }
  return false;
}

}  // namespace allmende::query
