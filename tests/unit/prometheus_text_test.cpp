// The Prometheus text writer: HELP/TYPE lines, labels, escaping, numbers.
#include <gtest/gtest.h>

#include "common/prometheus_text.h"

using allmende::PrometheusText;

TEST(PrometheusText, WritesMetricsLabelsAndNumbers) {
  PrometheusText out;
  out.metric("a_total", "counter", "Things counted");
  out.sample("a_total", {}, uint64_t{18446744073709551615u});
  out.sample("a_total", {{"x", "1"}, {"y", "two"}}, uint64_t{0});
  out.metric("b_seconds", "gauge", "Time");
  out.sample("b_seconds", {}, 0.25);
  out.sample("b_seconds", {}, 1e-6);
  EXPECT_EQ(out.take(),
            "# HELP a_total Things counted\n"
            "# TYPE a_total counter\n"
            "a_total 18446744073709551615\n"
            "a_total{x=\"1\",y=\"two\"} 0\n"
            "# HELP b_seconds Time\n"
            "# TYPE b_seconds gauge\n"
            "b_seconds 0.25\n"
            "b_seconds 1e-06\n");
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  PrometheusText out;
  out.metric("m", "gauge", "say \"a\\b\"\nnext");
  out.sample("m", {{"tenant", "x\"y\\z\nw"}}, uint64_t{1});
  EXPECT_EQ(out.take(),
            "# HELP m say \"a\\\\b\"\\nnext\n"
            "# TYPE m gauge\n"
            "m{tenant=\"x\\\"y\\\\z\\nw\"} 1\n");
}
