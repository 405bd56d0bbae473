// Blocking HTTP GET for the few callers that may wait (fetching remote JSON-LD
// @contexts): an AsyncClient driven by a private event loop until the answer,
// the timeout or an error. Follows up to 3 redirects. Thread-safe (each call
// has its own connection).
#pragma once

#include <string>

#include "http/async_client.h"

namespace allmende::http {

ClientResponse get(const std::string& url, const ClientOptions& options, const ClientHeaders& headers = {});

}  // namespace allmende::http
