// Keeps a fuzz target off the network: the process moves into a network
// namespace of its own (a loopback that is down, nothing else), so that a
// remote @context or a notification endpoint named in an input fails at once,
// the same way on every run, and no input ever reaches another machine.
// Creating the namespace needs root (as CI and the developers' machines run);
// without it the target says so and runs with the network.
#pragma once

#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace allmende::fuzz {

inline void goOffline() {
  if (unshare(CLONE_NEWNET) != 0)
    std::fprintf(stderr,
                 "fuzz: no network namespace of its own (%s): inputs may reach the network\n",
                 std::strerror(errno));
}

}  // namespace allmende::fuzz
