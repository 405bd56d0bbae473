// runMutators (mutations.h).
#include "store/mutations.h"

#include <string_view>

#include <boost/unordered/unordered_flat_map.hpp>

namespace allmende::store {

MutationResult runMutators(const std::vector<Store::Mutation>& mutations,
                           std::vector<Store::Outcome>& out,
                           const std::function<std::optional<Entity>(size_t)>& stored) {
  MutationResult result;
  boost::unordered_flat_map<std::string_view, size_t>
      pending;  // id -> the mutation that last wrote it
  pending.reserve(mutations.size());
  for (size_t i = 0; i < mutations.size(); ++i) {
    auto& change = out[i].change;
    const auto& id = mutations[i].id;
    if (auto it = pending.find(id); it != pending.end())
      change.before = out[it->second].change.after;
    else
      change.before = stored(i);
    std::optional<EntityWrite> write;
    try {
      write = mutations[i].mutator(change.before);
    } catch (...) {
      out[i].error = std::current_exception();
      continue;
    }
    if (!write) {
      change.after = change.before;
      continue;
    }
    if (write->kind == EntityWrite::Kind::Put) change.after = std::move(write->entity);
    change.written = true;
    pending[id] = i;
    result.written.push_back(i);
    if (write->history) result.histories.emplace_back(i, std::move(*write->history));
    if (write->audit) result.audits.push_back(std::move(*write->audit));
  }
  for (auto i : result.written)
    if (pending[mutations[i].id] == i) result.last.push_back(i);
  return result;
}

}  // namespace allmende::store
