// The transparent hash of the broker's string-keyed maps (term definitions,
// key numbers, index names): such maps are searched with a string_view, no copy.
#pragma once

#include <functional>
#include <string_view>

namespace allmende {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace allmende
