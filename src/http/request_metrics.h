// Request counts and latency histograms per route family, for GET /metrics.
// A route family is a group of routes (entities, query, batch, ...) named at
// start; the router tags each request with its family's index, and the server
// records every response it sends. Recording costs three relaxed atomic
// increments and no lock, allocation or look-up by name, so it stays on the
// hot path. Thread-safety: addFamily only before requests are recorded;
// record and write from any thread concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/prometheus_text.h"

namespace allmende::http {

class RequestMetrics {
 public:
  // The family of requests that no route answered (unknown path, method not
  // allowed, refused before routing).
  static constexpr uint16_t kUnrouted = 0;

  RequestMetrics();
  ~RequestMetrics();
  RequestMetrics(const RequestMetrics&) = delete;
  RequestMetrics& operator=(const RequestMetrics&) = delete;

  // The index of the route family `name`, registered if new.
  uint16_t addFamily(std::string_view name);

  // Counts one response: the route family of its request (an index addFamily
  // returned), the request method, the response status and the time it took.
  void record(uint16_t family, std::string_view method, int status,
              std::chrono::nanoseconds elapsed);

  // Writes allmende_http_requests_total (one series per family, method and
  // status seen) and allmende_http_request_duration_seconds (one histogram per
  // family seen). A snapshot: under load the two may differ by the requests
  // recorded while writing.
  void write(PrometheusText& out) const;

 private:
  struct Family;
  std::vector<std::unique_ptr<Family>> families_;
};

}  // namespace allmende::http
