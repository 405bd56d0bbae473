// Two passes: the ids of the matching entities first (no entity is kept in
// memory, and the limit is checked before anything is written), then the
// entities themselves in chunks, each chunk one atomic store write. An entity
// changed between the passes is copied as it is then, if it still matches.
#include "snapshots/copy.h"

#include <algorithm>
#include <string>
#include <vector>

#include "ngsi/datetime.h"
#include "ngsi/error.h"

namespace allmende::snapshots {

namespace {

constexpr size_t kChunk = 1000;  // entities per store write

}  // namespace

size_t copyEntities(store::Store& store, std::string_view from, std::string_view to, store::EntityQuery q,
                    size_t limit, const std::function<void(boost::json::object&)>& shape) {
  auto predicate = q.predicate;
  std::vector<std::string> ids;
  store::recordMatches(q, ids);
  q.now = ngsi::nowMs();
  q.offset = 0;
  q.limit = 0;
  q.ordering = nullptr;
  store.queryEntities(from, q);
  if (ids.size() > limit)
    ngsi::fail(ngsi::ErrorType::TooManyResults,
               "the query selects " + std::to_string(ids.size()) + " entities; a snapshot holds at most " +
                   std::to_string(limit) + " (--max-snapshot-entities)");
  size_t copied = 0;
  for (size_t start = 0; start < ids.size(); start += kChunk) {
    store::EntityQuery chunk;
    chunk.ids.emplace(ids.begin() + start, ids.begin() + std::min(ids.size(), start + kChunk));
    chunk.predicate = predicate;
    chunk.now = ngsi::nowMs();
    chunk.limit = chunk.ids->size();
    auto page = store.queryEntities(from, chunk);
    std::vector<store::Store::Mutation> writes;
    for (const auto& e : page.entities) {
      store::EntityWrite write;
      write.entity = boost::json::object(e, {});
      if (shape) shape(write.entity);
      writes.push_back({std::string(e.at("id").as_string()),
                        [write = std::move(write)](const std::optional<store::Entity>&) { return write; }});
    }
    store.modifyEntities(to, writes);
    copied += writes.size();
  }
  return copied;
}

}  // namespace allmende::snapshots
