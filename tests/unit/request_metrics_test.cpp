// Request metrics: counts by family, method and status (with the class for
// unlisted statuses), and cumulative latency histograms per family.
#include <gtest/gtest.h>

#include "http/request_metrics.h"

using namespace allmende;
using namespace std::chrono_literals;

namespace {
std::string text(const http::RequestMetrics& m) {
  PrometheusText out;
  m.write(out);
  return out.take();
}
bool has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}
}  // namespace

TEST(RequestMetrics, FamiliesAreRegisteredOnce) {
  http::RequestMetrics m;
  auto entities = m.addFamily("entities");
  EXPECT_NE(entities, http::RequestMetrics::kUnrouted);
  EXPECT_EQ(m.addFamily("query"), entities + 1);
  EXPECT_EQ(m.addFamily("entities"), entities);
}

TEST(RequestMetrics, CountsByFamilyMethodAndStatus) {
  http::RequestMetrics m;
  auto entities = m.addFamily("entities");
  m.record(entities, "GET", 200, 10us);
  m.record(entities, "GET", 200, 10us);
  m.record(entities, "PATCH", 204, 10us);
  m.record(entities, "BREW", 299, 10us);
  m.record(http::RequestMetrics::kUnrouted, "", 400, 10us);
  auto t = text(m);
  EXPECT_TRUE(
      has(t, "allmende_http_requests_total{route=\"entities\",method=\"GET\",status=\"200\"} 2"))
      << t;
  EXPECT_TRUE(
      has(t, "allmende_http_requests_total{route=\"entities\",method=\"PATCH\",status=\"204\"} 1"));
  EXPECT_TRUE(
      has(t, "allmende_http_requests_total{route=\"entities\",method=\"other\",status=\"2xx\"} 1"));
  EXPECT_TRUE(
      has(t, "allmende_http_requests_total{route=\"unrouted\",method=\"other\",status=\"400\"} 1"));
  EXPECT_EQ(t.find("status=\"404\""), std::string::npos) << "statuses never seen have no series";
}

TEST(RequestMetrics, HistogramBucketsAreCumulative) {
  http::RequestMetrics m;
  auto query = m.addFamily("query");
  m.record(query, "GET", 200, 10us);  // <= 25 µs
  m.record(query, "GET", 200, 25us);  // <= 25 µs (bounds are inclusive)
  m.record(query, "GET", 200, 3ms);   // <= 5 ms
  m.record(query, "GET", 200, 60s);   // beyond the last bound
  auto t = text(m);
  const std::string bucket = "allmende_http_request_duration_seconds_bucket{route=\"query\",le=";
  EXPECT_TRUE(has(t, bucket + "\"0.000025\"} 2")) << t;
  EXPECT_TRUE(has(t, bucket + "\"0.0025\"} 2"));
  EXPECT_TRUE(has(t, bucket + "\"0.005\"} 3"));
  EXPECT_TRUE(has(t, bucket + "\"10\"} 3"));
  EXPECT_TRUE(has(t, bucket + "\"+Inf\"} 4"));
  EXPECT_TRUE(has(t, "allmende_http_request_duration_seconds_count{route=\"query\"} 4"));
  EXPECT_TRUE(has(t, "allmende_http_request_duration_seconds_sum{route=\"query\"} 60.003035"));
  EXPECT_EQ(t.find("route=\"unrouted\",le="), std::string::npos)
      << "families without requests have no histogram";
}
