// WritePath: each mutator is wrapped so that, inside the store's atomic step,
// the change is checked for its author, the entity it writes is checked
// against the attribute bound (a failing check writes nothing, like any
// mutator that throws), and the write's history and audit record are derived
// from the entity's current and new state.
#include "ngsi/write_path.h"

#include "ngsi/audit_capture.h"
#include "ngsi/datetime.h"
#include "ngsi/entity.h"
#include "ngsi/error.h"
#include "ngsi/history_capture.h"

namespace allmende::ngsi {

std::vector<store::Store::Outcome> WritePath::applyAll(
    std::string_view tenant, const Author& author, std::vector<store::Store::Mutation> mutations) {
  // What each wrapper needs, behind one pointer: with `this` small enough for
  // std::function to hold without allocating.
  struct Step {
    store::Store::Mutator mutator;
    const std::string* id;
    const Author* author;
  };
  std::vector<Step> steps(mutations.size());
  for (size_t i = 0; i < mutations.size(); ++i) {
    steps[i] = {std::move(mutations[i].mutator), &mutations[i].id, &author};
    mutations[i].mutator = [this, step = &steps[i]](const std::optional<store::Entity>& current) {
      auto write = step->mutator(current);
      const auto& by = *step->author;
      if (by.check) {
        const store::Entity* before = current ? &*current : nullptr;
        by.check(*step->id, before,
                     !write ? before : write->kind == store::EntityWrite::Kind::Put ? &write->entity : nullptr);
      }
      if (!write) return write;
      if (write->kind == store::EntityWrite::Kind::Put) checkBounds(current, write->entity);
      auto now = nowMs();
      if (!history_)
        write->history.reset();
      else if (!write->history)
        write->history = captureHistory(current, *write, now);
      if (by.audit) write->audit = auditRecord(*by.audit, *step->id, current, *write, now);
      return write;
    };
  }
  return store_.modifyEntities(tenant, mutations);
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
