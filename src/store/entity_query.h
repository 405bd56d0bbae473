// What a query asks the store for: candidate selectors the store answers from
// its indexes (ids, types, attribute presence, a geo box, number, string and time ranges), an
// exact predicate the caller builds (q, scopeQ, geo relation, idPattern, ...)
// that the store applies to each candidate, an optional ordering, and paging.
// Without an ordering, results come in the order of the index the store walks
// (id order, or a value range's value order, or the geo index's order; see
// docs/configuration.md); with one, ties keep id order. Either way the order
// depends only on the query and the stored entities, so offset/limit paging of
// unchanged data neither repeats nor skips entities.
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>

#include "common/deadline.h"
#include "query/geo.h"
#include "query/order_by.h"

namespace allmende::store {

// What a query did, for operators asking why it is slow (the API's
// Allmende-Explain header): which candidates it walked and how many entities
// it had to read to find its matches.
struct QueryExplain {
  std::string path;       // the candidates walked: "ids", "type", "attrs", "geo", "value" (a range of a
                          // number index), "text" (of a string index), "time" (of a time index),
                          // "order" (a number or createdAt/modifiedAt index in order, for orderBy) or "all"
  size_t pathSize = 0;    // how many candidates that path holds (for ranges and "geo": counted up
                          // to the planner's probe limit, 4096, or as far as the walk went)
  size_t candidates = 0;  // of those, the ones the in-memory checks (types, attributes, numbers) let through
  size_t counted = 0;     // of those, the ones counted without reading (the indexes prove the match)
  size_t read = 0;        // entities read from the store and checked with the predicate
  size_t matched = 0;     // of those, the matches
};

struct EntityQuery {
  // Candidate selectors; each one given narrows the candidates.
  std::optional<std::vector<std::string>> ids;                // any of these ids
  std::optional<std::vector<std::vector<std::string>>> types;  // OR of ANDs of type IRIs
  std::optional<std::vector<std::string>> anyAttrs;           // has at least one of them
  std::optional<std::string> geoProperty;                     // with geoBox: R-tree candidates
  std::optional<query::GeoBox> geoBox;
  std::function<bool(const query::GeoBox&)> geoBoxFilter;     // drops boxes that cannot match

  // Numeric conditions the store checks from its value index before reading an
  // entity: the attribute must have a numeric value in [min, max] (bounds open
  // when the flags say so). Conditions the caller cannot express here stay in
  // the predicate, which still decides exactly.
  struct NumberRange {
    std::string attribute;
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    bool minOpen = false, maxOpen = false;
  };
  std::vector<NumberRange> numberRanges;
  // String conditions alike: the attribute must have a string (store::EntityMeta::strings)
  // in [min, max], byte by byte (bounds open when the flags say so; no max: unbounded).
  struct TextRange {
    std::string attribute;
    std::string min;  // "" and closed: from the first string
    std::optional<std::string> max;
    bool minOpen = false, maxOpen = false;
    // When given: one of these strings exactly (ascending, without repeats;
    // min and max are the first and the last).
    std::vector<std::string> anyOf;
  };
  std::vector<TextRange> textRanges;
  // Conditions on points in time alike (epoch ms): the attribute's date-time
  // values (strings that are dates or date-times) or its instances'
  // observedAt; or, with `attribute` empty, the entity's createdAt or modifiedAt.
  struct TimeRange : NumberRange {
    enum class Of { Value, ObservedAt, CreatedAt, ModifiedAt } of = Of::Value;
  };
  std::vector<TimeRange> timeRanges;

  // Exact check of a candidate (the stored, unexpired entity); empty = accept.
  std::function<bool(const boost::json::object&)> predicate;
  // The predicate checks nothing but the selectors above, the number, text and
  // time ranges (each exactly: some value of the attribute in the range) and that the
  // entity has not expired: the store may then count a candidate its indexes
  // prove to match without reading it (and so without calling the predicate).
  // Whoever wraps the predicate with more checks or side effects clears it.
  bool selectorsExact = false;

  // Order of the results: by id when null, else by the ordering's keys (ties by id).
  std::shared_ptr<const query::Ordering> ordering;
  int64_t now = 0;  // for reading sort keys of transient data

  size_t offset = 0;
  size_t limit = 20;   // 0: no entities, only the count (with count)
  bool count = false;  // also count every match

  // The request's time bound, checked for each candidate the store examines
  // (queryEntities then throws DeadlineExceeded); null = none.
  Deadline* deadline = nullptr;
  // Filled by queryEntities when given.
  QueryExplain* explain = nullptr;
};

// Makes q visit every candidate (count) and record the ids of those that
// match in `matched`, in the order the store visits them; `matched` must
// outlive the query.
inline void recordMatches(EntityQuery& q, std::vector<std::string>& matched) {
  q.predicate = [&matched, predicate = std::move(q.predicate)](const boost::json::object& e) {
    if (predicate && !predicate(e)) return false;
    matched.emplace_back(e.at("id").get_string());
    return true;
  };
  q.selectorsExact = false;  // every match must be seen
  q.count = true;
}

struct EntityPage {
  // The memory the entities live in (freed at once with the page; declared
  // first, so that it outlives the entities).
  std::vector<std::unique_ptr<boost::json::monotonic_resource>> arenas;
  std::vector<boost::json::object> entities;
  size_t total = 0;  // all matches, when EntityQuery::count
};

}  // namespace allmende::store
