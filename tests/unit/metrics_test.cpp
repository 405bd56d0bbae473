// The /metrics text of notification delivery and the store: one series per
// endpoint and per tenant, label values escaped.
#include <gtest/gtest.h>

#include "api/metrics.h"

using namespace allmende;

namespace {
bool has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}
}  // namespace

TEST(Metrics, DeliveryHasOneSeriesPerEndpoint) {
  subscriptions::DeliveryStats stats;
  stats.endpoints.push_back({"http://a.example:80", 3, 300, 1, 10, 2, 1, 4, 5});
  stats.endpoints.push_back({"mqtt://b.example:1883", 0, 0, 0, 7, 0, 0, 0, 0});
  PrometheusText out;
  api::writeDeliveryMetrics(out, stats);
  auto t = out.take();
  EXPECT_TRUE(has(t, "# TYPE allmende_notifications_sent_total counter")) << t;
  EXPECT_TRUE(has(t, "allmende_notification_queued{endpoint=\"http://a.example:80\"} 3"));
  EXPECT_TRUE(has(t, "allmende_notification_queued_bytes{endpoint=\"http://a.example:80\"} 300"));
  EXPECT_TRUE(has(t, "allmende_notification_in_flight{endpoint=\"http://a.example:80\"} 1"));
  EXPECT_TRUE(has(t, "allmende_notifications_sent_total{endpoint=\"http://a.example:80\"} 10"));
  EXPECT_TRUE(has(t, "allmende_notifications_failed_total{endpoint=\"http://a.example:80\"} 2"));
  EXPECT_TRUE(has(t, "allmende_notifications_retried_total{endpoint=\"http://a.example:80\"} 1"));
  EXPECT_TRUE(has(t, "allmende_notifications_coalesced_total{endpoint=\"http://a.example:80\"} 4"));
  EXPECT_TRUE(has(t, "allmende_notifications_dropped_total{endpoint=\"http://a.example:80\"} 5"));
  EXPECT_TRUE(has(t, "allmende_notifications_sent_total{endpoint=\"mqtt://b.example:1883\"} 7"));
}

TEST(Metrics, StoreHasEntitiesPerTenantAndStalls) {
  store::StoreStats stats;
  stats.entitiesPerTenant = {{"", 4}, {"ward \"7\"", 2}};
  stats.sizeBytes = 4096;
  stats.compactions = 3;
  stats.writesStopped = {2, 1.5};
  PrometheusText out;
  api::writeStoreMetrics(out, stats);
  auto t = out.take();
  EXPECT_TRUE(has(t, "allmende_entities{tenant=\"\"} 4")) << t;
  EXPECT_TRUE(has(t, "allmende_entities{tenant=\"ward \\\"7\\\"\"} 2"));
  EXPECT_TRUE(has(t, "allmende_store_size_bytes 4096"));
  EXPECT_TRUE(has(t, "allmende_store_compactions_total 3"));
  EXPECT_TRUE(has(t, "allmende_store_write_stalls_total{state=\"delayed\"} 0"));
  EXPECT_TRUE(has(t, "allmende_store_write_stalls_total{state=\"stopped\"} 2"));
  EXPECT_TRUE(has(t, "allmende_store_write_stall_seconds_total{state=\"stopped\"} 1.5"));
}
