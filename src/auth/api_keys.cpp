// API keys: making, listing, revoking and recognising them.
#include "auth/api_keys.h"

#include <stdexcept>

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/base64url.h"
#include "ngsi/datetime.h"

namespace allmende::auth {

namespace json = boost::json;

namespace {

std::string randomBase64Url(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("no random bytes for a key");
  return base64UrlEncode(raw);
}

std::string sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

// A stored key and the hash of its secret.
std::pair<ApiKey, std::string> parseStored(const std::string& document) {
  auto o = json::parse(document).as_object();
  return {ApiKey{std::string(o.at("id").as_string()), std::string(o.at("name").as_string()),
                 std::string(o.at("createdBy").as_string()), o.at("createdAt").to_number<int64_t>()},
          std::string(o.at("sha256").as_string())};
}

}  // namespace

ApiKeys::ApiKeys(store::Store& store) : store_(store) {
  for (const auto& d : store_.documents(store::DocumentKind::ApiKey)) reload(d.id, d.document);
}

void ApiKeys::reload(const std::string& id, const std::optional<std::string>& document) {
  std::lock_guard lock(mutex_);
  if (auto it = byId_.find(id); it != byId_.end()) {
    byHash_.erase(it->second.second);
    byId_.erase(it);
  }
  if (!document) return;
  auto stored = parseStored(*document);
  byHash_[stored.second] = id;
  byId_[id] = std::move(stored);
}

std::pair<ApiKey, std::string> ApiKeys::create(std::string name, std::string createdBy) {
  ApiKey k{"urn:allmende:ApiKey:" + randomBase64Url(12), std::move(name), std::move(createdBy), ngsi::nowMs()};
  std::string secret = std::string(kPrefix) + randomBase64Url(32);
  std::string hash = sha256Hex(secret);
  json::object doc{{"id", k.id}, {"name", k.name}, {"createdBy", k.createdBy}, {"createdAt", k.createdAtMs},
                   {"sha256", hash}};
  std::lock_guard lock(mutex_);
  store_.putDocument(store::DocumentKind::ApiKey, {"", k.id, json::serialize(doc)});  // durable before it is shown
  byHash_[hash] = k.id;
  byId_[k.id] = {k, std::move(hash)};
  return {std::move(k), std::move(secret)};
}

std::vector<ApiKey> ApiKeys::list() const {
  std::lock_guard lock(mutex_);
  std::vector<ApiKey> out;
  for (const auto& [id, entry] : byId_) out.push_back(entry.first);
  return out;
}

std::optional<ApiKey> ApiKeys::get(std::string_view id) const {
  std::lock_guard lock(mutex_);
  auto it = byId_.find(id);
  if (it == byId_.end()) return std::nullopt;
  return it->second.first;
}

bool ApiKeys::revoke(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto it = byId_.find(id);
  if (it == byId_.end()) return false;
  store_.deleteDocument(store::DocumentKind::ApiKey, "", id);
  byHash_.erase(it->second.second);
  byId_.erase(it);
  return true;
}

std::optional<ApiKey> ApiKeys::identify(std::string_view secret) const {
  auto hash = sha256Hex(secret);
  std::lock_guard lock(mutex_);
  auto it = byHash_.find(hash);
  if (it == byHash_.end()) return std::nullopt;
  return byId_.find(it->second)->second.first;
}

}  // namespace allmende::auth
