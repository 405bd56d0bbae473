// Operation names and groups as Table 4.20-1 and 4.20-2 list them.
#include "federation/operations.h"

#include <array>
#include <map>

namespace allmende::federation {

namespace {

constexpr std::array<std::string_view, 44> kOperations = {"createEntity",
                                                          "updateEntity",
                                                          "appendAttrs",
                                                          "updateAttrs",
                                                          "deleteAttrs",
                                                          "deleteEntity",
                                                          "mergeEntity",
                                                          "replaceEntity",
                                                          "replaceAttrs",
                                                          "purgeEntity",
                                                          "createBatch",
                                                          "upsertBatch",
                                                          "updateBatch",
                                                          "deleteBatch",
                                                          "mergeBatch",
                                                          "upsertTemporal",
                                                          "appendAttrsTemporal",
                                                          "deleteAttrsTemporal",
                                                          "updateAttrsTemporal",
                                                          "deleteAttrInstanceTemporal",
                                                          "deleteTemporal",
                                                          "retrieveEntity",
                                                          "queryEntity",
                                                          "queryBatch",
                                                          "retrieveTemporal",
                                                          "queryTemporal",
                                                          "retrieveEntityTypes",
                                                          "retrieveEntityTypeDetails",
                                                          "retrieveEntityTypeInfo",
                                                          "retrieveAttrTypes",
                                                          "retrieveAttrTypeDetails",
                                                          "retrieveAttrTypeInfo",
                                                          "createSubscription",
                                                          "updateSubscription",
                                                          "retrieveSubscription",
                                                          "querySubscription",
                                                          "deleteSubscription",
                                                          "retrieveEntityMap",
                                                          "updateEntityMap",
                                                          "deleteEntityMap",
                                                          "createEntityMap",
                                                          "retrieveContextSourceIdentity",
                                                          "createSnapshot",
                                                          "retrieveSnapshot"};

const std::map<std::string_view, std::vector<std::string_view>>& groups() {
  static const std::map<std::string_view, std::vector<std::string_view>> g = {
      {"retrieveOps", {"retrieveEntity", "queryEntity"}},
      {"updateOps", {"updateEntity", "updateAttrs", "replaceEntity", "replaceAttrs"}},
      {"redirectionOps",
       {"createEntity", "updateEntity", "appendAttrs", "updateAttrs", "deleteAttrs", "deleteEntity",
        "mergeEntity", "replaceEntity", "replaceAttrs", "purgeEntity", "retrieveEntity",
        "queryEntity"}},
      {"federationOps",
       {"retrieveEntity", "queryEntity", "queryBatch", "retrieveEntityTypes",
        "retrieveEntityTypeDetails", "retrieveEntityTypeInfo", "retrieveAttrTypes",
        "retrieveAttrTypeDetails", "retrieveAttrTypeInfo", "createSubscription",
        "updateSubscription", "retrieveSubscription", "querySubscription", "deleteSubscription",
        "retrieveEntityMap", "updateEntityMap", "deleteEntityMap",
        "retrieveContextSourceIdentity"}},
  };
  return g;
}

}  // namespace

bool isOperationName(std::string_view name) {
  for (auto op : kOperations)
    if (op == name) return true;
  return groups().contains(name);
}

std::set<std::string, std::less<>> expandOperations(const std::vector<std::string>& names) {
  std::set<std::string, std::less<>> out;
  auto add = [&out](std::string_view name) {
    if (auto g = groups().find(name); g != groups().end())
      out.insert(g->second.begin(), g->second.end());
    else
      out.emplace(name);
  };
  if (names.empty()) add("federationOps");
  for (const auto& n : names) add(n);
  return out;
}

}  // namespace allmende::federation
