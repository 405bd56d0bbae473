// The rows of a write in PostgreSQL (entity_rows.h): each entity's row with
// its query columns, and its side tables' rows, diffed by attribute against
// the state stored.
#include "store/postgres/entity_rows.h"

#include <array>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <boost/json.hpp>

#include "store/postgres/query_sql.h"

namespace allmende::store::pg {

namespace {

// The rows one statement writes into a side table, as parallel arrays, and
// the (entity, attribute) pairs whose rows the write replaces (deleted first).
struct SideRows {
  std::vector<std::string_view> goneIds, goneAttributes;  // (id, attribute) whose rows go
  std::vector<std::string_view> ids, attributes;
  std::vector<std::string> values;      // text of each value
  std::vector<std::string_view> extra;  // sole / observed flags ("t"/"f")
  bool empty() const { return ids.empty(); }
};

// The attributes whose rows differ between two states of an entity, each row
// given as (attribute, what else it holds).
template <class Key>
std::set<std::string_view> changedAttributes(
    const std::vector<std::pair<std::string_view, Key>>& before,
    const std::vector<std::pair<std::string_view, Key>>& after) {
  std::map<std::string_view, std::vector<Key>> a, b;
  for (const auto& [attribute, key] : before) a[attribute].push_back(key);
  for (const auto& [attribute, key] : after) b[attribute].push_back(key);
  std::set<std::string_view> out;
  for (const auto& [attribute, keys] : a)
    if (auto it = b.find(attribute); it == b.end() || it->second != keys) out.insert(attribute);
  for (const auto& [attribute, keys] : b)
    if (!a.contains(attribute)) out.insert(attribute);
  return out;
}

// An entity's rows of each side table, as changedAttributes compares them.
struct SideKeys {
  std::vector<std::pair<std::string_view, std::pair<double, bool>>> numbers;  // value, sole
  std::vector<std::pair<std::string_view, std::string_view>> strings;
  std::vector<std::pair<std::string_view, std::pair<bool, double>>> times;  // observed, value
  std::vector<std::pair<std::string_view, std::array<double, 4>>> geometries;
};

SideKeys sideKeys(const EntityMeta& m) {
  SideKeys k;
  for (const auto& n : m.numbers) k.numbers.push_back({n.attribute, {n.value, n.sole}});
  for (const auto& v : m.strings)
    k.strings.push_back({v.attribute, v.value.substr(0, EntityMeta::kIndexedStringBytes)});
  for (const auto& v : m.times) k.times.push_back({v.attribute, {false, v.value}});
  for (const auto& v : m.observedAt) k.times.push_back({v.attribute, {true, v.value}});
  for (const auto& [attribute, b] : m.geometries)
    k.geometries.push_back({attribute, {b.minLon, b.minLat, b.maxLon, b.maxLat}});
  return k;
}

}  // namespace

void writeEntities(Batch& b, std::string_view tenant, const std::vector<Store::Mutation>& mutations,
                   const std::vector<Store::Outcome>& out, const std::vector<size_t>& last,
                   const boost::unordered_flat_map<std::string_view, Entity>& stored,
                   const MetaExtractor& extractor) {
  std::vector<std::string_view> putIds, deleteIds;
  std::vector<std::string> docs, types, attrs, kinds;
  std::vector<std::optional<int64_t>> created, modified, expires;
  SideRows numbers, strings, times, geometries;
  std::vector<double> boxes;    // minLon, minLat, maxLon, maxLat of each geometry row
  std::list<EntityMeta> metas;  // what the rows view
  for (auto i : last) {
    std::string_view id = mutations[i].id;
    const auto& after = out[i].change.after;
    const EntityMeta* before = nullptr;
    if (auto it = stored.find(id); it != stored.end())
      before = &metas.emplace_back(extractor(it->second));
    if (!after) {
      if (before) deleteIds.push_back(id);
      continue;
    }
    const auto& meta = metas.emplace_back(extractor(*after));
    putIds.push_back(id);
    docs.push_back(boost::json::serialize(*after));
    types.push_back(arrayOf(meta.types));
    std::vector<std::string_view> names, kindNames;
    for (const auto& [name, kind] : meta.attrs) {
      names.push_back(name);
      kindNames.push_back(kind);
    }
    attrs.push_back(arrayLiteral(names));
    kinds.push_back(arrayLiteral(kindNames));
    created.push_back(meta.createdAtMs);
    modified.push_back(meta.modifiedAtMs);
    expires.push_back(meta.expiresAtMs ? std::optional(meta.expiresAtMs) : std::nullopt);
    // Of each side table, the rows of the attributes whose values there changed.
    std::optional<SideKeys> was, is;
    if (before) was = sideKeys(*before), is = sideKeys(meta);
    auto rewrite = [&](SideRows& rows, const auto& pick) {
      std::set<std::string_view> attributes;
      if (was) attributes = changedAttributes(pick(*was), pick(*is));
      for (auto attribute : attributes) {
        rows.goneIds.push_back(id);
        rows.goneAttributes.push_back(attribute);
      }
      return [was = was.has_value(), attributes = std::move(attributes)](
                 std::string_view attribute) { return !was || attributes.contains(attribute); };
    };
    auto numbersOf = rewrite(numbers, [](const SideKeys& k) { return k.numbers; });
    for (const auto& n : meta.numbers)
      if (numbersOf(n.attribute)) {
        numbers.ids.push_back(id);
        numbers.attributes.push_back(n.attribute);
        numbers.values.push_back(numberText(n.value));
        numbers.extra.push_back(n.sole ? "t" : "f");
      }
    auto stringsOf = rewrite(strings, [](const SideKeys& k) { return k.strings; });
    for (const auto& v : meta.strings)
      if (stringsOf(v.attribute)) {
        strings.ids.push_back(id);
        strings.attributes.push_back(v.attribute);
        strings.values.push_back(byteaText(v.value.substr(0, EntityMeta::kIndexedStringBytes)));
      }
    auto timesOf = rewrite(times, [](const SideKeys& k) { return k.times; });
    for (const auto* list : {&meta.times, &meta.observedAt})
      for (const auto& v : *list)
        if (timesOf(v.attribute)) {
          times.ids.push_back(id);
          times.attributes.push_back(v.attribute);
          times.values.push_back(std::to_string(static_cast<int64_t>(v.value)));
          times.extra.push_back(list == &meta.observedAt ? "t" : "f");
        }
    auto geometriesOf = rewrite(geometries, [](const SideKeys& k) { return k.geometries; });
    for (const auto& [attribute, box] : meta.geometries)
      if (geometriesOf(attribute))
        for (const auto& part : unwrappedBoxes(box)) {
          geometries.ids.push_back(id);
          geometries.attributes.push_back(attribute);
          boxes.insert(boxes.end(), {part.minLon, part.minLat, part.maxLon, part.maxLat});
        }
  }
  auto t = std::string(tenant);
  for (auto [table, rows] :
       {std::pair{"entity_numbers", &numbers}, std::pair{"entity_strings", &strings},
        std::pair{"entity_times", &times}, std::pair{"entity_geometries", &geometries}})
    if (!rows->goneIds.empty())
      b.add(
          std::string("DELETE FROM ") + table +
              " WHERE tenant = $1 AND (id, attribute) IN (SELECT * FROM unnest($2::text[], "
              "$3::text[]))",
          Params().add(t).add(arrayLiteral(rows->goneIds)).add(arrayLiteral(rows->goneAttributes)));
  if (!deleteIds.empty()) {
    auto deleted = arrayLiteral(deleteIds);
    for (const char* table :
         {"entity_numbers", "entity_strings", "entity_times", "entity_geometries", "entities"})
      b.add(std::string("DELETE FROM ") + table + " WHERE tenant = $1 AND id = ANY($2::text[])",
            Params().add(t).add(deleted));
  }
  if (!putIds.empty()) {
    auto nullableArray = [](const std::vector<std::optional<int64_t>>& values) {
      std::string out = "{";
      for (size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += values[i] ? std::to_string(*values[i]) : "NULL";
      }
      return out + "}";
    };
    b.add(
        "INSERT INTO entities (tenant, id, doc, types, attrs, kinds, created_at, modified_at, "
        "expires_at) "
        "SELECT $1, id, doc::json, types::text[], attrs::text[], kinds::text[], created, "
        "modified, expires "
        "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], "
        "$8::bigint[], "
        "$9::bigint[]) AS x(id, doc, types, attrs, kinds, created, modified, expires) "
        "ON CONFLICT (tenant, id) DO UPDATE SET doc = EXCLUDED.doc, types = EXCLUDED.types, "
        "attrs = EXCLUDED.attrs, kinds = EXCLUDED.kinds, created_at = EXCLUDED.created_at, "
        "modified_at = EXCLUDED.modified_at, expires_at = EXCLUDED.expires_at",
        Params()
            .add(t)
            .add(arrayLiteral(putIds))
            .add(arrayOf(docs))
            .add(arrayOf(types))
            .add(arrayOf(attrs))
            .add(arrayOf(kinds))
            .add(nullableArray(created))
            .add(nullableArray(modified))
            .add(nullableArray(expires)));
  }
  if (!numbers.empty())
    b.add(
        "INSERT INTO entity_numbers SELECT $1, * FROM unnest($2::text[], $3::text[], "
        "$4::float8[], $5::boolean[])",
        Params()
            .add(t)
            .add(arrayLiteral(numbers.ids))
            .add(arrayLiteral(numbers.attributes))
            .add(arrayOf(numbers.values))
            .add(arrayLiteral(numbers.extra)));
  if (!strings.empty())
    b.add(
        "INSERT INTO entity_strings SELECT $1, * FROM unnest($2::text[], $3::text[], "
        "$4::bytea[])",
        Params()
            .add(t)
            .add(arrayLiteral(strings.ids))
            .add(arrayLiteral(strings.attributes))
            .add(arrayOf(strings.values)));
  if (!times.empty())
    b.add(
        "INSERT INTO entity_times SELECT $1, id, a, o, v FROM unnest($2::text[], $3::text[], "
        "$4::bigint[], "
        "$5::boolean[]) AS x(id, a, v, o)",
        Params()
            .add(t)
            .add(arrayLiteral(times.ids))
            .add(arrayLiteral(times.attributes))
            .add(arrayOf(times.values))
            .add(arrayLiteral(times.extra)));
  if (!geometries.empty())
    b.add(
        "INSERT INTO entity_geometries SELECT $1, id, a, ST_MakeEnvelope(b[1], b[2], b[3], b[4], "
        "4326) "
        "FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS x(id, a, n), "
        "LATERAL (SELECT ($4::float8[])[4 * n - 3 : 4 * n] AS b) l",
        Params()
            .add(t)
            .add(arrayLiteral(geometries.ids))
            .add(arrayLiteral(geometries.attributes))
            .add(arrayLiteral(boxes)));
}

}  // namespace allmende::store::pg
