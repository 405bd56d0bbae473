// Counters live in one block per route family: responses by (method, status
// slot), and latency buckets that are not cumulative (write() sums them up).
// Statuses the broker sends have a slot each; any other status counts under its
// class ("1xx" ... "5xx"). The latency buckets start at 25 µs: a retrieve by id
// takes about 10 µs.
#include "http/request_metrics.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <string>

namespace allmende::http {

namespace {

constexpr std::array<std::string_view, 6> kMethods = {"GET",   "POST",   "PUT",
                                                      "PATCH", "DELETE", "other"};

constexpr std::array<std::string_view, 32> kStatuses = {
    "200", "201", "203", "204", "207", "300", "301", "303", "304", "400", "401",
    "403", "404", "405", "406", "409", "411", "412", "413", "415", "422", "429",
    "431", "500", "501", "503", "504", "1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr size_t kFirstClass = kStatuses.size() - 5;  // the slot of "1xx"

// Status code -> slot in kStatuses.
constexpr std::array<uint8_t, 600> kStatusSlots = [] {
  std::array<uint8_t, 600> slots{};
  for (size_t code = 0; code < slots.size(); ++code)
    slots[code] = static_cast<uint8_t>(kFirstClass + std::clamp<size_t>(code / 100, 1, 5) - 1);
  for (size_t i = 0; i < kFirstClass; ++i) {
    auto s = kStatuses[i];
    slots[(s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0')] = static_cast<uint8_t>(i);
  }
  return slots;
}();

struct Bucket {
  uint64_t nanos;       // upper bound (inclusive)
  std::string_view le;  // the same in seconds, as the label shows it
};
constexpr std::array<Bucket, 19> kBuckets = {{{25'000, "0.000025"},
                                              {50'000, "0.00005"},
                                              {100'000, "0.0001"},
                                              {250'000, "0.00025"},
                                              {500'000, "0.0005"},
                                              {1'000'000, "0.001"},
                                              {2'500'000, "0.0025"},
                                              {5'000'000, "0.005"},
                                              {10'000'000, "0.01"},
                                              {25'000'000, "0.025"},
                                              {50'000'000, "0.05"},
                                              {100'000'000, "0.1"},
                                              {250'000'000, "0.25"},
                                              {500'000'000, "0.5"},
                                              {1'000'000'000, "1"},
                                              {2'500'000'000, "2.5"},
                                              {5'000'000'000, "5"},
                                              {10'000'000'000, "10"},
                                              {UINT64_MAX, "+Inf"}}};

size_t methodSlot(std::string_view method) {
  size_t i = 0;
  while (i < kMethods.size() - 1 && kMethods[i] != method) ++i;
  return i;
}

size_t statusSlot(int status) {
  return status >= 0 && status < static_cast<int>(kStatusSlots.size()) ? kStatusSlots[status]
                                                                       : kStatuses.size() - 1;
}

}  // namespace

struct RequestMetrics::Family {
  std::string name;
  std::array<std::atomic<uint64_t>, kMethods.size() * kStatuses.size()> responses{};
  std::array<std::atomic<uint64_t>, kBuckets.size()> buckets{};
  std::atomic<uint64_t> nanos{0};  // sum of the recorded times
};

RequestMetrics::RequestMetrics() {
  addFamily("unrouted");
}

RequestMetrics::~RequestMetrics() = default;

uint16_t RequestMetrics::addFamily(std::string_view name) {
  for (size_t i = 0; i < families_.size(); ++i)
    if (families_[i]->name == name) return static_cast<uint16_t>(i);
  families_.push_back(std::make_unique<Family>());
  families_.back()->name = name;
  return static_cast<uint16_t>(families_.size() - 1);
}

void RequestMetrics::record(uint16_t family, std::string_view method, int status,
                            std::chrono::nanoseconds elapsed) {
  auto& f = *families_[family];
  f.responses[methodSlot(method) * kStatuses.size() + statusSlot(status)].fetch_add(
      1, std::memory_order_relaxed);
  auto nanos = static_cast<uint64_t>(std::max<int64_t>(elapsed.count(), 0));
  size_t bucket = 0;
  while (nanos > kBuckets[bucket].nanos) ++bucket;
  f.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  f.nanos.fetch_add(nanos, std::memory_order_relaxed);
}

void RequestMetrics::write(PrometheusText& out) const {
  out.metric("allmende_http_requests_total", "counter",
             "HTTP responses sent, by route family, request method and status");
  for (const auto& f : families_)
    for (size_t m = 0; m < kMethods.size(); ++m)
      for (size_t s = 0; s < kStatuses.size(); ++s)
        if (auto n = f->responses[m * kStatuses.size() + s].load(std::memory_order_relaxed))
          out.sample("allmende_http_requests_total",
                     {{"route", f->name}, {"method", kMethods[m]}, {"status", kStatuses[s]}}, n);
  out.metric("allmende_http_request_duration_seconds", "histogram",
             "Time from a request's complete header to its response being ready, by route family");
  for (const auto& f : families_) {
    std::array<uint64_t, kBuckets.size()> counts;
    uint64_t total = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b)
      total += counts[b] = f->buckets[b].load(std::memory_order_relaxed);
    if (total == 0) continue;
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += counts[b];
      out.sample("allmende_http_request_duration_seconds_bucket",
                 {{"route", f->name}, {"le", kBuckets[b].le}}, cumulative);
    }
    out.sample("allmende_http_request_duration_seconds_sum", {{"route", f->name}},
               static_cast<double>(f->nanos.load(std::memory_order_relaxed)) / 1e9);
    out.sample("allmende_http_request_duration_seconds_count", {{"route", f->name}}, total);
  }
}

}  // namespace allmende::http
