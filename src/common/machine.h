// What of the machine this process may use: its memory (the machine's
// physical memory, or the limit of its control group, a container's, when
// that is lower) and its cores (those its CPU affinity allows, as taskset or
// a container's cpuset set them). They size the defaults of the store's
// caches and of the I/O threads.
#pragma once

#include <cstddef>

namespace allmende {

size_t usableMemoryBytes();
// At least 1.
unsigned usableCores();

}  // namespace allmende
