// A small blocking HTTP/1.1 client for fetching remote resources (JSON-LD
// @contexts; later notifications and federation use an async sibling). Plain
// http only; every call is bounded by a timeout and a size limit. Thread-safe:
// each call uses its own io_context.
#pragma once

#include <chrono>
#include <string>
#include <vector>
#include <utility>

namespace allmende::http {

struct ClientResponse {
  bool ok = false;      // transport succeeded and a response was read
  std::string error;    // why not, when !ok
  int status = 0;
  std::string contentType;
  std::string body;
};

// GETs url (following up to 3 redirects), waiting at most `timeout` in total.
ClientResponse get(const std::string& url, std::chrono::milliseconds timeout, size_t maxBytes,
                   const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace allmende::http
