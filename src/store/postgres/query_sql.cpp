// EntityQuery selectors as SQL (query_sql.h). Each value range is a condition
// on the rows of its side table (entity_numbers, entity_strings,
// entity_times), used in an EXISTS of the entity's rows, or, by the store, as
// the rows a query walks; the geo box an EXISTS over entity_geometries.
#include "store/postgres/query_sql.h"

#include <cmath>
#include <limits>

namespace allmende::store::pg {

namespace {

// "column >= $n AND column <= $m" for a range's bounds (none for an upper bound at infinity).
template <class Range, class Bound>
std::string bounds(SqlBuilder& b, const std::string& column, const Range& r, const Bound& min,
                   const std::optional<Bound>& max) {
  std::string sql = column + (r.minOpen ? " > " : " >= ") + b.param(min);
  if (max) sql += " AND " + column + (r.maxOpen ? " < " : " <= ") + b.param(*max);
  return sql;
}

std::string numberRange(SqlBuilder& b, const std::string& column,
                        const EntityQuery::NumberRange& r) {
  std::optional<double> max;
  if (r.max != std::numeric_limits<double>::infinity() || r.maxOpen) max = r.max;
  return bounds(b, column, r, r.min, max);
}

// A range of epoch ms as whole milliseconds (what is stored), bounds rounded inwards.
std::string timeRange(SqlBuilder& b, const std::string& column, const EntityQuery::TimeRange& r) {
  auto min = r.min == -std::numeric_limits<double>::infinity()
                 ? std::numeric_limits<int64_t>::min()
                 : static_cast<int64_t>(std::ceil(r.min));
  std::optional<int64_t> max;
  if (r.max != std::numeric_limits<double>::infinity())
    max = static_cast<int64_t>(std::floor(r.max));
  EntityQuery::NumberRange exact = r;
  exact.minOpen = r.minOpen && static_cast<double>(min) == r.min;
  exact.maxOpen = r.maxOpen && max && static_cast<double>(*max) == r.max;
  return bounds(b, column, exact, min, max);
}

// "<table> d WHERE d.tenant = $n AND d.attribute = $m AND ". (A statement's
// placeholders are numbered in the order param() is called: each call that
// shares an expression with another is a statement of its own, as the
// operands of + are evaluated in no set order.)
std::string rowsOf(SqlBuilder& b, const char* table, std::string_view tenant,
                   const std::string& attribute, const std::string& d) {
  std::string t = b.param(tenant);
  std::string a = b.param(attribute);
  return std::string(table) + " " + d + " WHERE " + d + ".tenant = " + t + " AND " + d + ".attribute = " + a +
         " AND ";
}

bool onEntityRow(const EntityQuery::TimeRange& r) {
  using Of = EntityQuery::TimeRange::Of;
  return r.of == Of::CreatedAt || r.of == Of::ModifiedAt;
}

}  // namespace

std::vector<query::GeoBox> unwrappedBoxes(const query::GeoBox& box) {
  if (box.minLon <= box.maxLon) return {box};
  return {{box.minLon, box.minLat, 180, box.maxLat}, {-180, box.minLat, box.maxLon, box.maxLat}};
}

size_t sideRanges(const EntityQuery& q) {
  size_t n = q.numberRanges.size() + q.textRanges.size();
  for (const auto& r : q.timeRanges) n += !onEntityRow(r);
  return n;
}

std::string sideRangeRows(SqlBuilder& b, std::string_view tenant, const EntityQuery& q, size_t k,
                          const std::string& d) {
  std::string value = d + ".value";
  if (k < q.numberRanges.size()) {
    const auto& r = q.numberRanges[k];
    std::string rows = rowsOf(b, "entity_numbers", tenant, r.attribute, d);
    return rows + numberRange(b, value, r);
  }
  k -= q.numberRanges.size();
  if (k < q.textRanges.size()) {
    // Compared byte by byte (bytea): a bound may be no valid UTF-8 (the end of a prefix's range).
    const auto& r = q.textRanges[k];
    std::string rows = rowsOf(b, "entity_strings", tenant, r.attribute, d);
    if (!r.anyOf.empty()) {
      std::vector<std::string> anyOf;
      for (const auto& s : r.anyOf) anyOf.push_back(byteaText(s));
      std::string any = b.param(arrayOf(anyOf));
      return rows + value + " = ANY(" + any + "::bytea[])";
    }
    std::optional<std::string> max;
    if (r.max) max = byteaText(*r.max);
    return rows + bounds(b, value, r, byteaText(r.min), max);
  }
  k -= q.textRanges.size();
  for (const auto& r : q.timeRanges) {
    if (onEntityRow(r)) continue;
    if (k-- > 0) continue;
    std::string rows = rowsOf(b, "entity_times", tenant, r.attribute, d);
    std::string observed = b.param(r.of == EntityQuery::TimeRange::Of::ObservedAt);
    return rows + d + ".observed = " + observed + "::boolean AND " + timeRange(b, value, r);
  }
  return "entity_numbers " + d + " WHERE false";
}

std::string firstOfItsEntity(SqlBuilder& b, std::string_view tenant, const EntityQuery& q, size_t k) {
  std::string earlier =
      "NOT EXISTS (SELECT 1 FROM " + sideRangeRows(b, tenant, q, k, "d2") +
      " AND d2.id = d.id AND (d2.value < d.value OR (d2.value = d.value AND d2.ctid < "
      "d.ctid)) OFFSET 0)";  // (a check per row walked: see selectorCondition)
  return k < q.numberRanges.size() ? "(d.sole OR " + earlier + ")" : earlier;
}

std::string geoBoxRows(SqlBuilder& b, std::string_view tenant, const EntityQuery& q) {
  std::string t = b.param(tenant);
  std::string attribute = b.param(*q.geoProperty);
  std::string boxes;
  for (const auto& box : unwrappedBoxes(*q.geoBox)) {
    std::string corners[4];
    const double values[4] = {box.minLon, box.minLat, box.maxLon, box.maxLat};
    for (int i = 0; i < 4; ++i) corners[i] = b.param(values[i]);
    if (!boxes.empty()) boxes += " OR ";
    boxes += "g.box && ST_MakeEnvelope(" + corners[0] + "::float8, " + corners[1] + "::float8, " +
             corners[2] + "::float8, " + corners[3] + "::float8, 4326)";
  }
  return "entity_geometries g WHERE g.tenant = " + t + " AND g.attribute = " + attribute +
         " AND (" + boxes + ")";
}

std::string geoRows(SqlBuilder& b, std::string_view tenant, const EntityQuery& q) {
  return "(SELECT DISTINCT g.id FROM " + geoBoxRows(b, tenant, q) + " ORDER BY g.id)";
}

std::string selectorCondition(SqlBuilder& b, std::string_view tenant, const EntityQuery& q,
                              Walked walked) {
  std::string sql = "e.tenant = " + b.param(tenant);
  auto and_ = [&sql](const std::string& term) { sql += " AND " + term; };
  if (q.ids) and_("e.id = ANY(" + b.param(arrayOf(*q.ids)) + "::text[])");
  if (q.types) {
    std::string any;
    for (const auto& all : *q.types) {
      if (!any.empty()) any += " OR ";
      any += "e.types @> " + b.param(arrayOf(all)) + "::text[]";
    }
    and_("(" + (any.empty() ? std::string("false") : any) + ")");
  }
  if (q.anyAttrs) and_("e.attrs && " + b.param(arrayOf(*q.anyAttrs)) + "::text[]");
  if (q.geoProperty && q.geoBox && !walked.geo)
    and_("EXISTS (SELECT 1 FROM " + geoBoxRows(b, tenant, q) + " AND g.id = e.id)");
  // (OFFSET 0 keeps an EXISTS a check per candidate: the planner does not make it a join.)
  bool walk = walked.range || walked.geo;
  for (size_t k = 0; k < sideRanges(q); ++k)
    if (k != walked.range)
      and_("EXISTS (SELECT 1 FROM " + sideRangeRows(b, tenant, q, k) + " AND d.id = e.id" +
           (walk ? " OFFSET 0)" : ")"));
  for (const auto& r : q.timeRanges)
    if (onEntityRow(r)) {
      // 0 = none (store::EntityMeta)
      std::string column =
          r.of == EntityQuery::TimeRange::Of::CreatedAt ? "e.created_at" : "e.modified_at";
      and_("(" + column + " <> 0 AND " + timeRange(b, column, r) + ")");
    }
  return sql;
}

}  // namespace allmende::store::pg
