// The text of GET /metrics (Prometheus text format; the list of metrics and
// their meaning is in docs/operations.md): the broker process, HTTP requests
// (http/request_metrics.h), notification delivery and the store, each read as
// a snapshot when the metrics are asked for. The route is registered by
// registerMetricsRoutes (routes.h).
#pragma once

#include "common/prometheus_text.h"
#include "store/store.h"
#include "subscriptions/delivery_stats.h"

namespace allmende::api {

// Writes the notification metrics: one series per endpoint, labelled `endpoint`.
void writeDeliveryMetrics(PrometheusText& out, const subscriptions::DeliveryStats& stats);

// Writes the store metrics: entities per tenant (labelled `tenant`), sizes,
// compactions and write stalls.
void writeStoreMetrics(PrometheusText& out, const store::StoreStats& stats);

}  // namespace allmende::api
