// API keys for machines (an IoT agent, a nightly export): made by a broker
// admin, shown once when made, kept only as their SHA-256, revoked at once.
// A key is sent like a token (`Authorization: Bearer amk_...`); the prefix
// tells it from a JWT. Persisted in the store (broker-wide). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace allmende::auth {

struct ApiKey {
  std::string id;  // urn:allmende:ApiKey:<random>
  std::string name;
  std::string createdBy;  // the admin who made it
  int64_t createdAtMs = 0;
};

class ApiKeys {
 public:
  static constexpr std::string_view kPrefix = "amk_";

  explicit ApiKeys(store::Store& store);  // reads the stored keys

  // A new key: its record and the secret (the only time it is shown).
  std::pair<ApiKey, std::string> create(std::string name, std::string createdBy);
  std::vector<ApiKey> list() const;
  std::optional<ApiKey> get(std::string_view id) const;
  bool revoke(std::string_view id);  // false if there is no such key
  // A key another broker sharing the store made (its stored form) or revoked (nullopt).
  void reload(const std::string& id, const std::optional<std::string>& document);
  // The key a secret belongs to, if any (not revoked).
  std::optional<ApiKey> identify(std::string_view secret) const;

 private:
  store::Store& store_;
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<ApiKey, std::string>, std::less<>> byId_;  // id -> (key, hash)
  std::map<std::string, std::string, std::less<>> byHash_;                  // hash -> id
};

}  // namespace allmende::auth
