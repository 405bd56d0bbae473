// Where the issuer's signing keys come from: a JWKS file or the issuer's JWKS
// URL (http or https). Read at start (the broker does not start without a
// usable set), then again every `refresh` and soon after a token names a key
// id the set does not hold (a key rotation: no restart needed; at most one
// such reload per `minGap`). Reloading runs on a thread of its own; a reload
// that fails keeps the previous set. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "auth/jwk_set.h"

namespace allmende::auth {

struct KeySourceOptions {
  std::string location;  // a file path, or an http(s):// URL
  std::chrono::milliseconds refresh{std::chrono::minutes(5)};
  std::chrono::milliseconds minGap{std::chrono::seconds(10)};
  std::chrono::milliseconds fetchTimeout{std::chrono::seconds(5)};
  std::string extraCaFile;  // trusted besides the system's, for an https URL
};

class KeySource {
 public:
  explicit KeySource(KeySourceOptions options);  // throws std::runtime_error if the first read fails
  ~KeySource();
  KeySource(const KeySource&) = delete;
  KeySource& operator=(const KeySource&) = delete;

  std::shared_ptr<const JwkSet> current() const;
  // A token named a key the set lacks: reload soon (not more often than minGap).
  void askReload();

 private:
  JwkSet load() const;
  void run();

  KeySourceOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const JwkSet> keys_;
  bool reloadAsked_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace allmende::auth
