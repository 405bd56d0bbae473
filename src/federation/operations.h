// The operations a context source registration names (clause 4.20): single
// operations ("queryEntity", "createBatch", ...) and the groups that stand
// for several (Table 4.20-2: federationOps, updateOps, retrieveOps,
// redirectionOps). What a registration may be asked to do is decided on the
// expanded set.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace allmende::federation {

// True if the name is a known operation or group.
bool isOperationName(std::string_view name);

// The single operations the names stand for, groups expanded; the default
// (no operations member) is federationOps.
std::set<std::string, std::less<>> expandOperations(const std::vector<std::string>& names);

}  // namespace allmende::federation
