// WritePath: each mutator is wrapped so that, inside the store's atomic step,
// the change is checked for its author (and its audit record made), the entity it writes is checked against the attribute bound (a failing check
// writes nothing, like any mutator that throws) and the write's history is
// derived from the entity's current and new state.
#include "ngsi/write_path.h"

#include "ngsi/audit_capture.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/history_capture.h"

namespace allmende::ngsi {

std::vector<store::Store::Outcome> WritePath::applyAll(
    std::string_view tenant, const Author& author, std::vector<store::Store::Mutation> mutations) {
  std::vector<store::Store::Mutator> given(mutations.size());
  for (size_t i = 0; i < mutations.size(); ++i) {
    given[i] = std::move(mutations[i].mutator);
    // Two pointers: small enough for std::function to hold without allocating.
    mutations[i].mutator = [this, mutator = &given[i], author = &author,
                            id = &mutations[i].id](const std::optional<store::Entity>& current) {
      auto write = (*mutator)(current);
      if (author->check) {
        const store::Entity* before = current ? &*current : nullptr;
        author->check(*id, before, !write ? before : write->kind == store::EntityWrite::Kind::Put ? &write->entity : nullptr);
      }
      if (!write) return write;
      if (write->kind == store::EntityWrite::Kind::Put) checkBounds(current, write->entity);
      auto now = nowMs();
      if (!history_)
        write->history.reset();
      else if (!write->history)
        write->history = captureHistory(current, *write, now);
      if (author->audit) write->audit = auditRecord(*author->audit, *id, current, *write, now);
      return write;
    };
  }
  auto outcomes = store_.modifyEntities(tenant, mutations);
  for (const auto& o : outcomes)
    if (o.change.written)
      for (const auto& listener : listeners_) listener(tenant, o.change);
  return outcomes;
}

void WritePath::checkBounds(const std::optional<store::Entity>& before,
                            const store::Entity& after) const {
  size_t count = attributeCount(after);
  if (count <= maxAttributes_ || (before && count <= attributeCount(*before))) return;
  fail(ErrorType::BadRequestData, "the entity would have " + std::to_string(count) +
                                      " attribute instances (each attribute, datasetId instance "
                                      "and sub-attribute counts); at most " +
                                      std::to_string(maxAttributes_) +
                                      " are allowed (--max-attributes)");
}

}  // namespace allmende::ngsi
