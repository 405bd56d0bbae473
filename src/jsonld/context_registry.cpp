// Context resolution with two caches: remote documents by URL (the entries)
// and compiled contexts by the request's serialized @context value. Remote
// fetches happen outside the lock; a failed fetch is LdContextNotAvailable.
#include "jsonld/context_registry.h"

#include <algorithm>
#include <random>

#include "http/client.h"
#include "jsonld/core_context.h"
#include "ngsi/datetime.h"
#include "ngsi/error.h"
#include "ngsi/syntax.h"

namespace allmende::jsonld {

namespace json = boost::json;
using ngsi::ErrorType;
using ngsi::fail;

namespace {

constexpr std::string_view kContextsPath = "/ngsi-ld/v1/jsonldContexts/";

std::string randomId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 2; ++i) {
    auto n = rng();
    for (int j = 0; j < 16; ++j, n >>= 4) id.push_back(hex[n & 15]);
  }
  return id;
}

bool isHttpUrl(std::string_view s) { return s.starts_with("http://") || s.starts_with("https://"); }

void countHit(ContextEntry& e) {
  e.hits++;
  e.lastUsage = ngsi::nowMs();
}

}  // namespace

json::value ContextRegistry::fetchDocument(const std::string& url) const {
  auto res = http::get(url, options_.fetch);
  if (!res.ok || res.status != 200)
    fail(ErrorType::LdContextNotAvailable,
         "the @context '" + url + "' could not be retrieved: " +
             (res.ok ? "HTTP status " + std::to_string(res.status) : res.error));
  json::error_code ec;
  auto doc = json::parse(res.body, ec);
  if (ec || !doc.is_object() || !doc.get_object().contains("@context"))
    fail(ErrorType::BadRequestData,
         "the @context '" + url + "' is not a JSON-LD context document (a JSON object with \"@context\")");
  checkContextValue(doc.get_object().at("@context"));
  return doc;
}

void checkContextValue(const json::value& value) {
  if (value.is_string()) {
    std::string_view s = value.get_string();
    if (s.size() > ngsi::maxUriLength())
      fail(ErrorType::BadRequestData, ngsi::notUriDetail("the @context URL", s));
    if (!isHttpUrl(s) && s.find(':') == std::string_view::npos && !s.starts_with(kContextsPath))
      fail(ErrorType::BadRequestData, "@context: '" + std::string(s) + "' is not a URL");
    return;
  }
  if (value.is_object()) {
    for (const auto& [term, def] : value.get_object())
      if (def.is_object() && def.get_object().contains("@context"))
        fail(ErrorType::BadRequestData,
             "@context: scoped contexts (term '" + std::string(term) + "') are not supported");
    return;
  }
  if (value.is_array()) {
    for (const auto& e : value.get_array()) {
      if (!e.is_string() && !e.is_object())
        fail(ErrorType::BadRequestData, "@context: array members must be URLs or objects, got " +
                                            json::serialize(e));
      checkContextValue(e);
    }
    return;
  }
  fail(ErrorType::BadRequestData,
       "@context must be a URL, an object or an array of them, got " + json::serialize(value));
}

bool isSingleUrl(const json::value& value) {
  if (value.is_string()) return true;
  return value.is_array() && value.get_array().size() == 1 && value.get_array()[0].is_string();
}

std::string serializeEntry(const ContextEntry& e) {
  json::object o{{"url", e.url},           {"localId", e.localId},     {"kind", e.kind},
                 {"tenant", e.tenant},     {"createdAt", e.createdAt}, {"lastUsage", e.lastUsage},
                 {"hits", e.hits},         {"document", e.document}};
  return json::serialize(o);
}

ContextEntry parseEntry(std::string_view text) {
  auto o = json::parse(text).as_object();
  ContextEntry e;
  e.url = json::value_to<std::string>(o.at("url"));
  e.localId = json::value_to<std::string>(o.at("localId"));
  e.kind = json::value_to<std::string>(o.at("kind"));
  e.tenant = json::value_to<std::string>(o.at("tenant"));
  e.createdAt = o.at("createdAt").to_number<int64_t>();
  e.lastUsage = o.at("lastUsage").to_number<int64_t>();
  e.hits = o.at("hits").to_number<uint64_t>();
  e.document = o.at("document");
  return e;
}

ContextRegistry::ContextRegistry(RegistryOptions options, ContextPersistence persistence)
    : options_(std::move(options)), persistence_(std::move(persistence)) {}

void ContextRegistry::restore(ContextEntry entry) {
  // Hosted and ImplicitlyCreated contexts are served here: their URL follows the public URL.
  if (entry.kind != "Cached")
    entry.url = options_.publicBaseUrl + std::string(kContextsPath) + entry.localId;
  std::lock_guard lock(mutex_);
  byUrl_[entry.url] = entry.localId;
  entries_[entry.localId] = std::move(entry);
}

std::string ContextRegistry::hostedLocalId(const std::string& url) const {
  auto at = url.find(kContextsPath);
  if (at == std::string::npos) return {};
  return url.substr(at + kContextsPath.size());
}

ContextEntry* ContextRegistry::findLocked(const std::string& idOrUrl, const std::string* tenant) {
  ContextEntry* e = nullptr;
  if (auto it = entries_.find(idOrUrl); it != entries_.end()) e = &it->second;
  if (!e) {
    if (auto it = byUrl_.find(idOrUrl); it != byUrl_.end()) e = &entries_.at(it->second);
  }
  if (!e) {
    auto local = hostedLocalId(idOrUrl);
    if (auto it = entries_.find(local); !local.empty() && it != entries_.end()) e = &it->second;
  }
  if (e && tenant && e->kind != "Cached" && e->tenant != *tenant) return nullptr;
  return e;
}

void ContextRegistry::touchLocked(const std::vector<std::string>& urls) {
  for (const auto& url : urls)
    if (auto* e = findLocked(url, nullptr)) countHit(*e);
}

json::value ContextRegistry::loadDocument(const std::string& url, std::vector<std::string>& used) {
  {
    std::lock_guard lock(mutex_);
    if (auto* e = findLocked(url, nullptr)) {
      used.push_back(url);
      return e->document;
    }
  }
  if (!isHttpUrl(url))
    fail(ErrorType::BadRequestData, "@context: '" + url + "' is not an http(s) URL nor a hosted @context");
  auto doc = fetchDocument(url);
  std::lock_guard lock(mutex_);
  if (!findLocked(url, nullptr)) {
    ContextEntry entry;
    entry.url = url;
    entry.localId = randomId();
    entry.kind = "Cached";
    entry.createdAt = entry.lastUsage = ngsi::nowMs();
    entry.document = doc;
    if (persistence_.save) persistence_.save(entry);
    byUrl_[url] = entry.localId;
    entries_[entry.localId] = std::move(entry);
    evictLocked();
  }
  used.push_back(url);
  return doc;
}

void ContextRegistry::evictLocked() {
  size_t cached = 0;
  for (const auto& [id, e] : entries_) cached += e.kind == "Cached";
  while (cached > options_.maxCachedContexts) {
    const ContextEntry* oldest = nullptr;
    for (const auto& [id, e] : entries_)
      if (e.kind == "Cached" && (!oldest || e.lastUsage < oldest->lastUsage)) oldest = &e;
    if (!oldest) break;
    std::string id = oldest->localId;
    byUrl_.erase(oldest->url);
    if (persistence_.erase) persistence_.erase(id);
    entries_.erase(id);
    --cached;
  }
}

void ContextRegistry::applyValue(ContextBuilder& builder, const json::value& value, int depth,
                                 std::vector<std::string>& used) {
  if (depth > 8) fail(ErrorType::BadRequestData, "@context: remote contexts are nested too deeply");
  if (value.is_null()) return;
  if (value.is_string()) {
    std::string url(value.get_string());
    if (isCoreContextUrl(url)) return;
    auto doc = loadDocument(url, used);
    applyValue(builder, doc.get_object().at("@context"), depth + 1, used);
    return;
  }
  if (value.is_object()) {
    builder.apply(value.get_object());
    return;
  }
  if (value.is_array()) {
    for (const auto& e : value.get_array()) applyValue(builder, e, depth + 1, used);
    return;
  }
  checkContextValue(value);
}

ContextPtr ContextRegistry::resolve(const json::value& contextValue) {
  if (contextValue.is_null()) return coreContext();
  checkContextValue(contextValue);
  std::string key = contextValue.is_string() ? std::string(contextValue.get_string())
                                             : json::serialize(contextValue);
  {
    std::lock_guard lock(mutex_);
    if (auto it = compiled_.find(key); it != compiled_.end()) {
      compiledLru_.splice(compiledLru_.begin(), compiledLru_, it->second.lru);
      touchLocked(it->second.urls);
      return it->second.context;
    }
  }
  std::vector<std::string> used;
  ContextBuilder builder(coreContext().get(), true);
  applyValue(builder, contextValue, 0, used);
  auto ctx = builder.build();
  std::lock_guard lock(mutex_);
  if (!compiled_.contains(key)) {
    compiledLru_.push_front(key);
    compiled_[key] = Compiled{ctx, used, compiledLru_.begin()};
    if (compiled_.size() > options_.maxCompiledContexts) {
      compiled_.erase(compiledLru_.back());
      compiledLru_.pop_back();
    }
  }
  touchLocked(used);
  return ctx;
}

ContextEntry ContextRegistry::addHosted(const json::value& document, const std::string& tenant) {
  if (!document.is_object() || !document.get_object().contains("@context"))
    fail(ErrorType::InvalidRequest, "the body must be a JSON object with an \"@context\" member");
  const auto& value = document.get_object().at("@context");
  checkContextValue(value);
  // Contexts it refers to by URL become Cached entries now (and must be reachable).
  resolve(value);
  return addServed("Hosted", value, tenant);
}

ContextEntry ContextRegistry::addImplicit(const json::value& contextValue,
                                          const std::string& tenant) {
  return addServed("ImplicitlyCreated", contextValue, tenant);
}

ContextEntry ContextRegistry::addServed(std::string kind, const json::value& contextValue,
                                        const std::string& tenant) {
  ContextEntry entry;
  entry.localId = randomId();
  entry.url = options_.publicBaseUrl + std::string(kContextsPath) + entry.localId;
  entry.kind = std::move(kind);
  entry.tenant = tenant;
  entry.createdAt = ngsi::nowMs();
  entry.document = json::object{{"@context", contextValue}};
  std::lock_guard lock(mutex_);
  if (persistence_.save) persistence_.save(entry);
  byUrl_[entry.url] = entry.localId;
  entries_[entry.localId] = entry;
  return entry;
}

std::vector<ContextEntry> ContextRegistry::list(const std::string& tenant,
                                                const std::optional<std::string>& kind) {
  std::lock_guard lock(mutex_);
  std::vector<ContextEntry> out;
  for (const auto& [id, e] : entries_) {
    if (kind && e.kind != *kind) continue;
    if (e.kind != "Cached" && e.tenant != tenant) continue;
    out.push_back(e);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.createdAt < b.createdAt || (a.createdAt == b.createdAt && a.url < b.url); });
  return out;
}

std::optional<ContextEntry> ContextRegistry::find(const std::string& idOrUrl,
                                                  const std::string& tenant) {
  std::lock_guard lock(mutex_);
  if (auto* e = findLocked(idOrUrl, &tenant)) return *e;
  return std::nullopt;
}

std::optional<ContextEntry> ContextRegistry::serve(const std::string& idOrUrl,
                                                   const std::string& tenant) {
  std::lock_guard lock(mutex_);
  auto* e = findLocked(idOrUrl, &tenant);
  if (!e) return std::nullopt;
  auto served = *e;
  if (e->kind == "Cached") countHit(*e);
  return served;
}

bool ContextRegistry::remove(const std::string& idOrUrl, const std::string& tenant) {
  std::lock_guard lock(mutex_);
  auto* e = findLocked(idOrUrl, &tenant);
  if (!e) return false;
  std::string id = e->localId;
  byUrl_.erase(e->url);
  if (persistence_.erase) persistence_.erase(id);
  entries_.erase(id);
  compiled_.clear();
  compiledLru_.clear();
  return true;
}

void ContextRegistry::adopt(const std::string& localId, std::optional<ContextEntry> entry) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(localId); it != entries_.end()) {
      byUrl_.erase(it->second.url);
      entries_.erase(it);
    }
    compiled_.clear();
    compiledLru_.clear();
  }
  if (entry) restore(std::move(*entry));
}

void ContextRegistry::reload(const std::string& idOrUrl) {
  std::string url;
  {
    std::lock_guard lock(mutex_);
    auto* e = findLocked(idOrUrl, nullptr);
    if (!e || e->kind != "Cached") return;
    url = e->url;
  }
  auto doc = fetchDocument(url);
  std::lock_guard lock(mutex_);
  if (auto* e = findLocked(url, nullptr)) {
    e->document = doc;
    if (persistence_.save) persistence_.save(*e);
  }
  compiled_.clear();
  compiledLru_.clear();
}

}  // namespace allmende::jsonld
