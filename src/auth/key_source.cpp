// Reading and reloading the issuer's key set.
#include "auth/key_source.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "http/client.h"

namespace allmende::auth {

KeySource::KeySource(KeySourceOptions options) : options_(std::move(options)) {
  keys_ = std::make_shared<const JwkSet>(load());
  spdlog::info("authentication: {} signing keys from {}", keys_->keys().size(), options_.location);
  thread_ = std::thread([this] { run(); });
}

KeySource::~KeySource() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<const JwkSet> KeySource::current() const {
  std::lock_guard lock(mutex_);
  return keys_;
}

void KeySource::askReload() {
  {
    std::lock_guard lock(mutex_);
    reloadAsked_ = true;
  }
  wake_.notify_all();
}

JwkSet KeySource::load() const {
  const auto& where = options_.location;
  std::string text;
  if (where.rfind("http://", 0) == 0 || where.rfind("https://", 0) == 0) {
    http::ClientOptions o;
    o.timeout = options_.fetchTimeout;
    o.extraCaFile = options_.extraCaFile;
    auto r = http::get(where, o, {{"Accept", "application/json"}});
    if (!r.ok) throw std::runtime_error("fetching the key set from " + where + " failed: " + r.error);
    if (r.status != 200)
      throw std::runtime_error("fetching the key set from " + where + " answered " + std::to_string(r.status));
    text = std::move(r.body);
  } else {
    std::ifstream in(where);
    if (!in) throw std::runtime_error("cannot read the key set file " + where);
    std::stringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  try {
    return JwkSet::parse(text);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("the key set from " + where + ": " + e.what());
  }
}

void KeySource::run() {
  auto last = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto due = last + options_.refresh;
    if (reloadAsked_) due = std::min(due, last + options_.minGap);
    if (std::chrono::steady_clock::now() < due) {
      wake_.wait_until(lock, due);  // a wake-up (stop, reload asked) recomputes
      continue;
    }
    reloadAsked_ = false;
    lock.unlock();
    std::shared_ptr<const JwkSet> fresh;
    try {
      fresh = std::make_shared<const JwkSet>(load());
    } catch (const std::runtime_error& e) {
      spdlog::warn("authentication: keeping the previous key set: {}", e.what());
    }
    lock.lock();
    last = std::chrono::steady_clock::now();
    if (fresh) keys_ = std::move(fresh);
  }
}

}  // namespace allmende::auth
