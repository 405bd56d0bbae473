// The query planner against a reference evaluation: random entities (numbers
// with many ties, arrays, several instances, strings in every form q compares,
// dates and date-times, observedAt, createdAt and modifiedAt, expiring and
// expired instances, several types) written, changed and deleted in random
// order, then random queries (types, number, string and time terms, geo
// boxes, orderBy, count, paging) through the
// embedded store, before and after a reopen. Every query must give exactly the
// reference's matches (in the reference order under orderBy), count them all,
// and page through them without repeating or skipping one.
#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jsonld/core_context.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "query/geo.h"
#include "query/order_by.h"
#include "query/q.h"
#include "store/embedded/rocks_store.h"
#include "store/value_ranges.h"

namespace json = boost::json;
using namespace allmende;

namespace {

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("allmende-planner-test-" + std::to_string(::getpid()));
  ~TempDir() { std::filesystem::remove_all(path); }
};

class World {
 public:
  // plain: every number attribute one instance with a plain number (orderBy can then use the index).
  World(unsigned seed, bool plain) : rng_(seed), plain_(plain) {}

  std::string attr(std::string_view name) const { return jsonld::coreContext()->expand(std::string(name)); }

  // An instance of a number attribute, in one of the forms values take.
  json::value value() {
    int form = pick(20);
    double n = pick(8) + (pick(4) == 0 ? 0.5 : 0);  // few distinct values: many ties
    if (form < 12 || plain_) return n;
    if (form < 14) return json::array{n, pick(8)};
    if (form < 16) return json::string(std::to_string(pick(8)));
    if (form < 17) return json::object{{"@value", n}};
    return -n;
  }

  json::array instances() {
    json::array out;
    int form = plain_ ? 0 : pick(10);
    auto instance = [&](json::value v) {
      json::object i{{"type", "Property"}, {"value", std::move(v)}};
      if (pick(3) == 0) i["observedAt"] = day();
      return i;
    };
    if (form < 7) {
      out.push_back(instance(value()));
    } else if (form < 8) {  // two datasets
      out.push_back(instance(value()));
      auto second = instance(value());
      second["datasetId"] = "urn:ds:2";
      out.push_back(second);
    } else if (form < 9) {  // an instance that expired already
      auto i = instance(value());
      i["expiresAt"] = "2000-01-01T00:00:00Z";
      out.push_back(i);
    } else {  // an instance that expires later
      auto i = instance(value());
      i["expiresAt"] = "2999-01-01T00:00:00Z";
      out.push_back(i);
    }
    return out;
  }

  json::object entity(const std::string& id) {
    static const char* types[] = {"urn:T1", "urn:T2"};
    json::array t{types[pick(2)]};
    if (pick(5) == 0) t.push_back("urn:T3");
    json::object attrs;
    for (const char* name : {"a", "b"})
      if (pick(5) != 0) attrs[attr(name)] = instances();
    if (pick(3) == 0) attrs[attr("s")] = text();
    if (pick(3) == 0) {  // dates, alone or in an array
      json::value v = pick(4) ? json::value(day()) : json::value(json::array{day(), day()});
      attrs[attr("d")] = json::array{json::object{{"type", "Property"}, {"value", v}}};
    }
    if (pick(4) != 0) {  // a point on a 10 x 10 grid
      json::object point{{"type", "Point"}, {"coordinates", json::array{pick(10), pick(10)}}};
      attrs[attr("location")] = json::array{json::object{{"type", "GeoProperty"}, {"value", point}}};
    }
    json::object e{{"id", id}, {"type", t}, {"attrs", attrs}};
    if (plain_ || pick(8) != 0) {  // the entity's own times (epoch ms); rarely none (then orderBy must sort)
      e["createdAt"] = 1767225600000 + 86400000 * pick(4);
      e["modifiedAt"] = 1767225600000 + 86400000 * pick(4) + 1000;
    }
    return e;
  }

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  // A date or date-time (the same day may come in both forms), or, rarely, no time at all.
  json::string day() {
    static const char* days[] = {"2026-01-01", "2026-01-02", "2026-01-02T00:00:00Z", "2026-01-03T12:00:00Z",
                                 "2026-01-04T00:00:00.000Z", "tomorrow"};
    return days[pick(6)];
  }

  // A string attribute, in the forms strings take (few distinct ones: many ties).
  json::array text() {
    // Two long strings that share their first 130 bytes (the index holds the first 128).
    static const std::string longA = std::string(130, 'x') + "a", longB = std::string(130, 'x') + "b";
    static const std::string words[] = {"x", "xa", "xb", "y", "ok", longA, longB};
    auto word = [&] { return json::string(words[pick(7)]); };
    int form = pick(plain_ ? 1 : 9);
    json::object i{{"type", "Property"}, {"value", word()}};
    if (form == 1) i["value"] = json::array{word(), word()};
    if (form == 2) i["value"] = json::object{{"@value", word()}};
    if (form == 3) i = {{"type", "LanguageProperty"}, {"languageMap", {{"en", word()}, {"de", json::array{word()}}}}};
    if (form == 4) i = {{"type", "Relationship"}, {"object", pick(2) ? "urn:r1" : "urn:r2"}};
    if (form == 5) i = {{"type", "ListRelationship"}, {"objectList", json::array{"urn:r1", "urn:r3"}}};
    if (form == 6) i["value"] = 3;
    if (form == 7) i["expiresAt"] = pick(2) ? "2000-01-01T00:00:00Z" : "2999-01-01T00:00:00Z";
    json::array out{i};
    if (form == 8) {  // a second dataset
      json::object second{{"type", "Property"}, {"value", word()}, {"datasetId", "urn:ds:2"}};
      out.push_back(second);
    }
    return out;
  }

 private:
  std::mt19937 rng_;
  bool plain_;
};

std::unique_ptr<store::Store> open(const TempDir& dir) {
  return store::openEmbeddedStore({dir.path.string(), false}, ngsi::entityMeta);
}

void put(store::Store& s, const std::string& id, std::optional<json::object> e) {
  auto outcomes = s.modifyEntities("", {{id, [e](const std::optional<store::Entity>&) {
                                           store::EntityWrite w;
                                           if (e)
                                             w.entity = *e;
                                           else
                                             w.kind = store::EntityWrite::Kind::Delete;
                                           return std::optional(w);
                                         }}});
  if (outcomes[0].error) std::rethrow_exception(outcomes[0].error);
}

// One random query: the store's form and the reference's parts.
struct Case {
  std::string text;  // for failure messages
  store::EntityQuery query;
  query::ExprPtr q;
  std::optional<std::vector<std::vector<std::string>>> types;
};

Case randomCase(World& w) {
  Case c;
  const auto& ctx = *jsonld::coreContext();
  int t = w.pick(4);
  using Types = std::vector<std::vector<std::string>>;
  if (t == 1) c.types = Types{{"urn:T1"}};
  if (t == 2) c.types = Types{{"urn:T2"}, {"urn:T3"}};
  if (t == 3) c.types = Types{{"urn:T1", "urn:T3"}};
  std::string qText;
  static const char* ops[] = {">=", ">", "<", "<=", "=="};
  for (int n = w.pick(3); n-- > 0;) {
    if (!qText.empty()) qText += ";";
    qText += std::string(w.pick(2) ? "a" : "b") + ops[w.pick(5)] + std::to_string(w.pick(9) - 1);
  }
  if (w.pick(6) == 0) qText += std::string(qText.empty() ? "" : ";") + "a==2..5";
  static const std::string kLong = std::string(130, 'x');
  static const std::string kLongEq = "s==\"" + kLong + "a\"", kLongGt = "s>\"" + kLong + "a\"",
                           kLongList = "s==\"xa\",\"" + kLong + "b\"";
  static const char* texts[] = {"s==\"x\"",    "s==\"xa\"", "s==urn:r1",   "s==urn:r3", "s>\"x\"",
                                "s<=\"xb\"",   "s==\"x\"..\"xb\"", "s~=^x", "s~=^xa$", "s~=a",
                                "s==\"none\"", "a==\"3\"",   "s==3",        "s!=\"x\"", "s<\"v\"",
                                "d==2026-01-02", "d>=2026-01-02T00:00:00Z", "d<2026-01-04",
                                "d==2026-01-01..2026-01-03", "d==\"tomorrow\"", "a.observedAt>=2026-01-02",
                                "b.observedAt==2026-01-02", "createdAt>=2026-01-02", "modifiedAt<2026-01-03T00:00:01Z",
                                "createdAt==1767312000000", kLongEq.c_str(), kLongGt.c_str(),
                                "s==\"x\",\"xb\"", "s==\"y\",urn:r1,\"none\"", kLongList.c_str()};
  for (int n = w.pick(2) == 0 ? 1 + (w.pick(4) == 0) : 0; n-- > 0;)
    qText += std::string(qText.empty() ? "" : ";") + texts[w.pick(std::size(texts))];
  c.text = "types " + std::to_string(t) + " q " + qText;
  c.query.types = c.types;
  bool exact = true;
  if (!qText.empty()) {
    c.q = query::parseQ(qText, ctx);
    exact = store::addValueRanges(*c.q, c.query);  // as api/entity_selection.cpp does
  }
  c.query.selectorsExact = exact;
  std::optional<query::GeoBox> area;
  if (w.pick(4) == 0) {  // a geo box; the predicate decides (as a geo relation does)
    double lon = w.pick(10), lat = w.pick(10);
    area = query::GeoBox{lon, lat, lon + w.pick(6), lat + w.pick(6)};
    c.query.geoProperty = w.attr("location");
    c.query.geoBox = area;
    c.query.selectorsExact = false;
    c.text += " geo " + std::to_string(lon) + "," + std::to_string(lat);
  }
  auto now = ngsi::nowMs();
  c.query.now = now;
  c.query.predicate = [types = c.types, q = c.q, now, area, location = w.attr("location")](const json::object& e) {
    if (ngsi::isExpired(e, now)) return false;
    if (area) {
      const auto* l = e.at("attrs").as_object().if_contains(location);
      if (!l) return false;
      const auto& p = l->as_array()[0].at("value").at("coordinates").as_array();
      double lon = p[0].to_number<double>(), lat = p[1].to_number<double>();
      if (lon < area->minLon || lon > area->maxLon || lat < area->minLat || lat > area->maxLat) return false;
    }
    if (types) {
      bool any = false;
      for (const auto& group : *types) {
        bool all = true;
        for (const auto& type : group) {
          const auto& mine = e.at("type").as_array();
          all = all && std::find(mine.begin(), mine.end(), json::value(type)) != mine.end();
        }
        any = any || all;
      }
      if (!any) return false;
    }
    return !q || query::matches(*q, e, now);
  };
  int order = w.pick(7);
  if (order > 0) {
    static const char* orders[] = {"", "a", "a;desc", "b;desc", "s", "modifiedAt;desc", "createdAt"};
    c.query.ordering = std::make_shared<query::Ordering>(orders[order], ctx, json::value(), std::nullopt);
    c.text += std::string(" orderBy ") + orders[order];
  }
  return c;
}

// The ids of the reference's matches, in the order the query must give them
// (by ordering, ties by id; without one, any order: sorted here).
std::vector<std::string> reference(const std::map<std::string, json::object>& entities, const Case& c) {
  std::vector<std::pair<query::Ordering::Key, std::string>> out;
  for (const auto& [id, e] : entities)
    if (c.query.predicate(e))
      out.emplace_back(c.query.ordering ? c.query.ordering->key(e, ngsi::nowMs()) : query::Ordering::Key{}, id);
  if (c.query.ordering)
    std::stable_sort(out.begin(), out.end(),
                     [&c](const auto& a, const auto& b) { return c.query.ordering->less(a.first, b.first); });
  std::vector<std::string> ids;
  for (auto& [key, id] : out) ids.push_back(id);
  return ids;
}

// The plans the queries took (explain paths, and whether some were counted without reading).
using Seen = std::set<std::string>;

void check(store::Store& s, const std::map<std::string, json::object>& entities, World& w, int queries,
           Seen& seen) {
  for (int i = 0; i < queries; ++i) {
    auto c = randomCase(w);
    auto expected = reference(entities, c);
    // Counted alone (limit 0), then paged with counts.
    auto q = c.query;
    q.limit = 0;
    q.count = true;
    store::QueryExplain explain;
    q.explain = &explain;
    ASSERT_EQ(s.queryEntities("", q).total, expected.size()) << c.text;
    if (explain.counted) seen.insert("counted");
    std::vector<std::string> paged;
    size_t size = 2 + w.pick(9);
    for (q.offset = 0; q.offset <= expected.size(); q.offset += size) {
      q.limit = size;
      q.count = w.pick(2) == 0;
      auto page = s.queryEntities("", q);
      seen.insert(explain.path + (c.query.ordering ? " ordered" : ""));
      if (q.count) {
        ASSERT_EQ(page.total, expected.size()) << c.text;
      }
      for (const auto& e : page.entities) paged.emplace_back(e.at("id").as_string());
    }
    if (!c.query.ordering) {
      auto sorted = paged;
      std::sort(sorted.begin(), sorted.end());
      ASSERT_EQ(sorted, expected) << c.text;
    } else {
      ASSERT_EQ(paged, expected) << c.text;
    }
  }
}

}  // namespace

TEST(QueryPlanner, GivesTheReferenceMatchesInEveryPlanAndPage) {
  Seen seen;
  for (unsigned seed : {1u, 2u, 3u, 4u}) {
    TempDir dir;
    World w(seed, seed % 2 == 0);
    std::map<std::string, json::object> entities;
    {
      auto s = open(dir);
      for (int i = 0; i < 400; ++i) {  // creates in random order, changes, deletes
        char id[16];
        std::snprintf(id, sizeof id, "urn:e%03d", w.pick(250));
        if (entities.contains(id) && w.pick(6) == 0) {
          put(*s, id, std::nullopt);
          entities.erase(id);
        } else {
          auto e = w.entity(id);
          put(*s, id, e);
          entities[id] = e;
        }
      }
      check(*s, entities, w, 60, seen);
    }
    auto s = open(dir);  // the indexes built in bulk
    check(*s, entities, w, 60, seen);
  }
  // Every kind of plan was met (a walk of types, of all entities, of a number
  // range, of a string range, of a time range, of the geo index, of a number
  // index in order; counts without reading).
  for (const char* plan : {"type", "all", "value", "text", "time", "geo", "order ordered", "counted"})
    EXPECT_TRUE(seen.contains(plan)) << plan;
}
