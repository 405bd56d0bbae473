// GET /metrics. Most metrics are one field of a stats struct each, so they are
// written from tables (name, type, help, field); the help texts are what
// Prometheus shows, so they say what is counted.
#include "api/metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

#include "api/routes.h"
#include "http/request_metrics.h"
#include "ngsi/datetime.h"

namespace allmende::api {

namespace {

template <class Stats>
struct Metric {
  std::string_view name;
  std::string_view type;
  std::string_view help;
  uint64_t Stats::*field;
};

void writeProcessMetrics(PrometheusText& out, const BrokerInfo& info) {
  out.metric("allmende_build_info", "gauge", "The broker's version and source revision (value 1)");
  out.sample("allmende_build_info", {{"version", info.version}, {"revision", info.revision}},
             uint64_t{1});
  out.metric("allmende_uptime_seconds", "gauge", "Seconds since the broker started");
  out.sample("allmende_uptime_seconds", {},
             static_cast<double>(ngsi::nowMs() - info.startedAtMs) / 1000);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  out.metric("allmende_process_cpu_seconds_total", "counter",
             "CPU time the broker process used, user and system, in seconds");
  out.sample("allmende_process_cpu_seconds_total", {},
             seconds(usage.ru_utime) + seconds(usage.ru_stime));
  uint64_t pages = 0, residentPages = 0;
  std::ifstream("/proc/self/statm") >> pages >> residentPages;
  out.metric("allmende_process_resident_memory_bytes", "gauge",
             "Memory of the broker process held in RAM (resident set size)");
  out.sample("allmende_process_resident_memory_bytes", {},
             residentPages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
}

using subscriptions::EndpointStats;
constexpr Metric<EndpointStats> kDeliveryMetrics[] = {
    {"allmende_notification_queued", "gauge",
     "Notifications waiting to be sent (queued, or waiting to be retried), by endpoint",
     &EndpointStats::queued},
    {"allmende_notification_queued_bytes", "gauge",
     "Size of the waiting notifications, by endpoint", &EndpointStats::queuedBytes},
    {"allmende_notification_in_flight", "gauge", "Notification requests on the wire, by endpoint",
     &EndpointStats::inFlight},
    {"allmende_notifications_sent_total", "counter",
     "Notifications delivered (answered with 2xx, or acknowledged by the MQTT broker), by endpoint",
     &EndpointStats::sent},
    {"allmende_notifications_failed_total", "counter",
     "Notification attempts that failed (each retry counts), by endpoint", &EndpointStats::failed},
    {"allmende_notifications_retried_total", "counter",
     "Notification attempts that retried a failed one, by endpoint", &EndpointStats::retried},
    {"allmende_notifications_coalesced_total", "counter",
     "Notifications merged into an earlier one of the same subscription, by endpoint",
     &EndpointStats::coalesced},
    {"allmende_notifications_dropped_total", "counter",
     "Notifications given up (retries exhausted, queue or memory bound, shutdown), by endpoint",
     &EndpointStats::dropped},
};

using store::StoreStats;
constexpr Metric<StoreStats> kStoreMetrics[] = {
    {"allmende_store_size_bytes", "gauge", "Size of the store's files on disk",
     &StoreStats::sizeBytes},
    {"allmende_store_live_data_bytes", "gauge",
     "Estimated size of the current data (without overwritten or deleted data)",
     &StoreStats::liveDataBytes},
    {"allmende_store_history_bytes", "gauge",
     "Size of the attribute history's data files on disk (flushed data)",
     &StoreStats::historyBytes},
    {"allmende_store_unflushed_bytes", "gauge",
     "Memory holding written data not yet in data files", &StoreStats::unflushedBytes},
    {"allmende_store_flushes_total", "counter",
     "Flushes of written data from memory to a data file", &StoreStats::flushes},
    {"allmende_store_compactions_total", "counter",
     "Compactions (background merges of data files) completed", &StoreStats::compactions},
    {"allmende_store_compaction_written_bytes_total", "counter",
     "Bytes written by the completed compactions", &StoreStats::compactionWrittenBytes},
    {"allmende_store_compactions_running", "gauge", "Compactions running now",
     &StoreStats::compactionsRunning},
    {"allmende_store_compaction_pending_bytes", "gauge",
     "Estimated bytes that compaction has yet to rewrite", &StoreStats::compactionPendingBytes},
};

http::Response metrics(Call& call) {
  PrometheusText out;
  writeProcessMetrics(out, call.services.info);
  call.services.requestMetrics.write(out);
  writeDeliveryMetrics(out, call.services.deliveryStats());
  writeStoreMetrics(out, call.services.store.stats());
  http::Response res;
  res.setHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  res.body = out.take();
  return res;
}

}  // namespace

void writeDeliveryMetrics(PrometheusText& out, const subscriptions::DeliveryStats& stats) {
  for (const auto& m : kDeliveryMetrics) {
    out.metric(m.name, m.type, m.help);
    for (const auto& endpoint : stats.endpoints)
      out.sample(m.name, {{"endpoint", endpoint.endpoint}}, endpoint.*m.field);
  }
  out.metric("allmende_notification_memory_bytes", "gauge",
             "Size of the notifications waiting or in flight, over all endpoints (bounded by --notification-memory)");
  out.sample("allmende_notification_memory_bytes", {}, stats.queuedBytes);
  out.metric("allmende_notifications_dropped_at_memory_limit_total", "counter",
             "Notifications dropped because all endpoints' notifications together held --notification-memory");
  out.sample("allmende_notifications_dropped_at_memory_limit_total", {}, stats.droppedOverTotal);
}

void writeStoreMetrics(PrometheusText& out, const store::StoreStats& stats) {
  out.metric("allmende_entities", "gauge",
             "Entities stored, by tenant (\"\" is the default tenant)");
  for (const auto& [tenant, count] : stats.entitiesPerTenant)
    out.sample("allmende_entities", {{"tenant", tenant}}, count);
  for (const auto& m : kStoreMetrics) {
    out.metric(m.name, m.type, m.help);
    out.sample(m.name, {}, stats.*m.field);
  }
  out.metric("allmende_store_write_stalls_total", "counter",
             "Times the store delayed (slowed down) or stopped writes because its background work "
             "fell behind, by state");
  out.sample("allmende_store_write_stalls_total", {{"state", "delayed"}},
             stats.writesDelayed.count);
  out.sample("allmende_store_write_stalls_total", {{"state", "stopped"}},
             stats.writesStopped.count);
  out.metric("allmende_store_write_stall_seconds_total", "counter",
             "Seconds during which the store delayed or stopped writes, by state");
  out.sample("allmende_store_write_stall_seconds_total", {{"state", "delayed"}},
             stats.writesDelayed.seconds);
  out.sample("allmende_store_write_stall_seconds_total", {{"state", "stopped"}},
             stats.writesStopped.seconds);
}

void registerMetricsRoutes(http::Router& router, Services& services) {
  addRoute(router, services, "GET", "/metrics", metrics);
}

}  // namespace allmende::api
