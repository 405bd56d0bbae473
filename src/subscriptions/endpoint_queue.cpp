// Per-subscription queues of one endpoint, a ready list, and coalescing.
#include "subscriptions/endpoint_queue.h"

namespace allmende::subscriptions {

void EndpointQueue::markReady(const std::string& key, Sub& sub) {
  if (sub.inFlight || sub.ready || sub.items.empty()) return;
  sub.ready = true;
  ready_.push_back(key);
}

bool EndpointQueue::push(Pending&& p) {
  if (bytes_ + p.bytes > limits_.maxBytes) return false;
  auto key = keyOf(p);
  auto& sub = subs_[key];
  sub.forgotten = false;  // a subscription made again with the id of a deleted one
  queued_++;
  bytes_ += p.bytes;
  sub.items.push_back(std::move(p));
  markReady(key, sub);
  return true;
}

std::optional<Pending> EndpointQueue::take(size_t& coalesced) {
  coalesced = 0;
  while (!ready_.empty()) {
    auto key = std::move(ready_.front());
    ready_.pop_front();
    auto it = subs_.find(key);
    if (it == subs_.end()) continue;
    auto& sub = it->second;
    sub.ready = false;
    if (sub.items.empty()) {  // forgotten while it waited for its turn
      if (!sub.inFlight) subs_.erase(it);
      continue;
    }
    bool behind = sub.items.size() >= limits_.coalesceAt;
    Pending p = std::move(sub.items.front());
    sub.items.pop_front();
    queued_--;
    bytes_ -= p.bytes;
    while (behind && !sub.items.empty()) {
      auto& next = sub.items.front();
      if (next.request.triggerReason != p.request.triggerReason ||
          p.request.count + next.request.count > limits_.maxEntities ||
          p.request.entities.size() + next.request.entities.size() > limits_.maxMergedBytes)
        break;
      p.request.append(next.request);
      p.bytes += next.bytes;
      p.notifications += next.notifications;
      queued_--;
      bytes_ -= next.bytes;
      sub.items.pop_front();
      coalesced++;
    }
    sub.inFlight = true;
    return p;
  }
  return std::nullopt;
}

bool EndpointQueue::finish(Pending p, bool retry) {
  auto key = keyOf(p);
  auto it = subs_.find(key);
  if (it == subs_.end()) return false;
  auto& sub = it->second;
  sub.inFlight = false;
  bool kept = retry && !sub.forgotten;
  if (kept) {
    queued_++;
    bytes_ += p.bytes;
    sub.items.push_front(std::move(p));
  }
  if (sub.items.empty() && !sub.ready)
    subs_.erase(it);
  else
    markReady(key, sub);
  return kept;
}

std::vector<Pending> EndpointQueue::forget(const std::string& tenant, const std::string& subscriptionId,
                                           SubscriptionKind kind) {
  std::vector<Pending> out;
  auto it = subs_.find(keyOf(tenant, subscriptionId, kind));
  if (it == subs_.end()) return out;
  for (auto& p : it->second.items) {
    queued_--;
    bytes_ -= p.bytes;
    out.push_back(std::move(p));
  }
  it->second.items.clear();
  if (it->second.inFlight)
    it->second.forgotten = true;
  else if (!it->second.ready)
    subs_.erase(it);
  return out;
}

std::vector<Pending> EndpointQueue::drain() {
  std::vector<Pending> out;
  for (auto it = subs_.begin(); it != subs_.end();) {
    for (auto& p : it->second.items) out.push_back(std::move(p));
    it->second.items.clear();
    it = it->second.inFlight ? std::next(it) : subs_.erase(it);
  }
  ready_.clear();
  for (auto& [key, sub] : subs_) sub.ready = false;
  queued_ = bytes_ = 0;
  return out;
}

}  // namespace allmende::subscriptions
