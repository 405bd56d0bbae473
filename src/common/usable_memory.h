// How much memory this process may use: the machine's physical memory, or
// the limit of its control group (a container's) when that is lower. Sizes
// the defaults of the store's caches.
#pragma once

#include <cstddef>

namespace allmende {

size_t usableMemoryBytes();

}  // namespace allmende
