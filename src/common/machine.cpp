// Physical pages from sysconf; the control group's limit from cgroup v2
// (memory.max) or v1 (memory.limit_in_bytes), whichever the system mounts;
// cores from sched_getaffinity.
#include "common/machine.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string>

namespace allmende {

namespace {
// The number in the file, or 0 when it is missing or says "max".
size_t limitIn(const char* path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  try {
    return std::stoull(text);
  } catch (const std::out_of_range&) {
    return 0;
  }
}
}  // namespace

size_t usableMemoryBytes() {
  size_t bytes =
      static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (const char* path :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"})
    if (size_t limit = limitIn(path); limit > 0) bytes = std::min(bytes, limit);
  return bytes;
}

unsigned usableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
}

}  // namespace allmende
