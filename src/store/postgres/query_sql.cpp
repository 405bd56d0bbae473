// EntityQuery selectors as SQL (query_sql.h). Each value condition is an
// EXISTS over its side table (entity_numbers, entity_strings, entity_times,
// entity_geometries), which PostgreSQL answers from their B-tree and GiST
// indexes, as a semi-join or a filter as its planner finds cheaper.
#include "store/postgres/query_sql.h"

#include <cmath>
#include <limits>

namespace allmende::store::pg {

namespace {

class Builder {
 public:
  explicit Builder(SqlCondition& out) : out_(out) {}
  // Adds the value as the next parameter and returns its placeholder.
  template <class T>
  std::string param(const T& value) {
    out_.params.add(value);
    return "$" + std::to_string(out_.params.size());
  }
  void and_(const std::string& term) { out_.sql += " AND " + term; }

 private:
  SqlCondition& out_;
};

// "value >= $n AND value <= $m" for a range's bounds (none for open ends at infinity).
template <class Range, class Bound>
std::string bounds(Builder& b, const std::string& column, const Range& r, const Bound& min,
                   const std::optional<Bound>& max) {
  std::string sql = column + (r.minOpen ? " > " : " >= ") + b.param(min);
  if (max) sql += " AND " + column + (r.maxOpen ? " < " : " <= ") + b.param(*max);
  return sql;
}

}  // namespace

std::vector<query::GeoBox> unwrappedBoxes(const query::GeoBox& box) {
  if (box.minLon <= box.maxLon) return {box};
  return {{box.minLon, box.minLat, 180, box.maxLat}, {-180, box.minLat, box.maxLon, box.maxLat}};
}

SqlCondition selectorCondition(std::string_view tenant, const EntityQuery& q) {
  SqlCondition out;
  Builder b(out);
  out.sql = "e.tenant = " + b.param(tenant);
  if (q.ids) b.and_("e.id = ANY(" + b.param(arrayOf(*q.ids)) + "::text[])");
  if (q.types) {
    std::string any;
    for (const auto& all : *q.types) {
      if (!any.empty()) any += " OR ";
      any += "e.types @> " + b.param(arrayOf(all)) + "::text[]";
    }
    b.and_("(" + (any.empty() ? std::string("false") : any) + ")");
  }
  if (q.anyAttrs) b.and_("e.attrs && " + b.param(arrayOf(*q.anyAttrs)) + "::text[]");
  if (q.geoProperty && q.geoBox) {
    std::string boxes;
    for (const auto& box : unwrappedBoxes(*q.geoBox)) {
      if (!boxes.empty()) boxes += " OR ";
      boxes += "g.box && ST_MakeEnvelope(" + b.param(box.minLon) + "::float8, " +
               b.param(box.minLat) + "::float8, " + b.param(box.maxLon) + "::float8, " +
               b.param(box.maxLat) + "::float8, 4326)";
    }
    b.and_(
        "EXISTS (SELECT 1 FROM entity_geometries g WHERE g.tenant = e.tenant AND g.id = e.id AND "
        "g.attribute = " +
        b.param(*q.geoProperty) + " AND (" + boxes + "))");
  }
  for (const auto& r : q.numberRanges) {
    std::optional<double> max;
    if (r.max != std::numeric_limits<double>::infinity() || r.maxOpen) max = r.max;
    b.and_(
        "EXISTS (SELECT 1 FROM entity_numbers n WHERE n.tenant = e.tenant AND n.id = e.id AND "
        "n.attribute = " +
        b.param(r.attribute) + " AND " + bounds(b, "n.value", r, r.min, max) + ")");
  }
  for (const auto& r : q.textRanges) {
    // Compared byte by byte (bytea): a bound may be no valid UTF-8 (the end of a prefix's range).
    std::vector<std::string> anyOf;
    for (const auto& s : r.anyOf) anyOf.push_back(byteaText(s));
    std::optional<std::string> max;
    if (r.max) max = byteaText(*r.max);
    std::string condition = !r.anyOf.empty()
                                ? "s.value = ANY(" + b.param(arrayOf(anyOf)) + "::bytea[])"
                                : bounds(b, "s.value", r, byteaText(r.min), max);
    b.and_(
        "EXISTS (SELECT 1 FROM entity_strings s WHERE s.tenant = e.tenant AND s.id = e.id AND "
        "s.attribute = " +
        b.param(r.attribute) + " AND " + condition + ")");
  }
  for (const auto& r : q.timeRanges) {
    std::optional<int64_t> max;
    auto min = r.min == -std::numeric_limits<double>::infinity()
                   ? std::numeric_limits<int64_t>::min()
                   : static_cast<int64_t>(std::ceil(r.min));
    bool minOpen = r.minOpen && static_cast<double>(min) == r.min;
    if (r.max != std::numeric_limits<double>::infinity())
      max = static_cast<int64_t>(std::floor(r.max));
    EntityQuery::NumberRange exact = r;
    exact.minOpen = minOpen;
    exact.maxOpen = r.maxOpen && max && static_cast<double>(*max) == r.max;
    using Of = EntityQuery::TimeRange::Of;
    if (r.of == Of::CreatedAt || r.of == Of::ModifiedAt) {
      // 0 = none (store::EntityMeta)
      std::string column = r.of == Of::CreatedAt ? "e.created_at" : "e.modified_at";
      b.and_("(" + column + " <> 0 AND " + bounds(b, column, exact, min, max) + ")");
      continue;
    }
    b.and_(
        "EXISTS (SELECT 1 FROM entity_times t WHERE t.tenant = e.tenant AND t.id = e.id AND "
        "t.attribute = " +
        b.param(r.attribute) + " AND t.observed = " + b.param(r.of == Of::ObservedAt) +
        "::boolean AND " + bounds(b, "t.value", exact, min, max) + ")");
  }
  return out;
}

}  // namespace allmende::store::pg
