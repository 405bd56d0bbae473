// Entity type selections (clause 4.17): "A,B" or "A|B" (any of), "A;B" (all
// of), with parentheses, e.g. "(Building;Smart)|Parking". Parsed into
// disjunctive normal form: an OR of AND-groups of expanded type IRIs, which is
// what the store's type index answers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace allmende::jsonld {
class Context;
}

namespace allmende::query {

using TypeSelection = std::vector<std::vector<std::string>>;  // OR of ANDs

// Throws ngsi::Error BadRequestData on a malformed expression or an invalid name.
TypeSelection parseTypeSelection(std::string_view text, const jsonld::Context& ctx);

}  // namespace allmende::query
