// The sweep: ask the store for entities whose earliest expiry has passed, then
// for each one drop the expired instances (or the whole entity) in one write.
#include "ngsi/expiry.h"

#include <spdlog/spdlog.h>

#include "ngsi/datetime.h"
#include "ngsi/entity.h"

namespace allmende::ngsi {

namespace {

// The entity without its expired parts, or a Delete if the entity itself expired.
std::optional<store::EntityWrite> pruned(const store::Entity& entity, int64_t now) {
  if (isExpired(entity, now)) return store::EntityWrite{store::EntityWrite::Kind::Delete, {}, {}};
  store::EntityWrite write{store::EntityWrite::Kind::Put, entity, {}};
  bool changed = false;
  auto& attrs = write.entity[key::attrs].as_object();
  for (auto it = attrs.begin(); it != attrs.end();) {
    auto& instances = it->value().as_array();
    auto before = instances.size();
    for (size_t i = instances.size(); i-- > 0;)
      if (isExpired(instances[i].as_object(), now)) instances.erase(instances.begin() + static_cast<long>(i));
    changed = changed || instances.size() != before;
    it = instances.empty() ? attrs.erase(it) : std::next(it);
  }
  if (!changed) return std::nullopt;
  return write;
}

}  // namespace

ExpirySweeper::ExpirySweeper(store::Store& store, WritePath& writes,
                             std::chrono::milliseconds interval)
    : store_(store), writes_(writes), interval_(interval), thread_([this] { run(); }) {}

ExpirySweeper::~ExpirySweeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

size_t ExpirySweeper::sweepOnce() {
  auto now = nowMs();
  size_t changed = 0;
  for (const auto& [tenant, id] : store_.dueForExpiry(now, 1000)) {
    auto change = writes_.apply(tenant, Author{}, id, [now](const std::optional<store::Entity>& current) {
      return current ? pruned(*current, now) : std::nullopt;
    });
    changed += change.written;
  }
  return changed;
}

void ExpirySweeper::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    try {
      if (auto n = sweepOnce()) spdlog::debug("expiry: {} entities changed", n);
    } catch (const std::exception& e) {
      spdlog::error("expiry sweep failed: {}", e.what());
    }
    lock.lock();
  }
}

}  // namespace allmende::ngsi
