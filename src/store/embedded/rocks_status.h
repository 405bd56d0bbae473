// RocksDB's Status turned into the store's failure: std::runtime_error.
#pragma once

#include <stdexcept>
#include <string>

#include <rocksdb/status.h>

namespace allmende::store {

inline void check(const rocksdb::Status& status, const char* what) {
  if (!status.ok()) throw std::runtime_error(std::string("store ") + what + " failed: " + status.ToString());
}

}  // namespace allmende::store
