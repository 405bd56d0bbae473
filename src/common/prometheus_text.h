// Writes the Prometheus text exposition format (version 0.0.4), the body of
// GET /metrics: per metric a "# HELP" and a "# TYPE" line, then its samples as
// `name{label="value",...} number`. Label values and help texts are escaped as
// the format requires. Not thread-safe: one writer per response.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace allmende {

class PrometheusText {
 public:
  using Label = std::pair<std::string_view, std::string_view>;  // name, value

  // Starts a metric: its HELP and TYPE ("counter", "gauge", "histogram") lines.
  void metric(std::string_view name, std::string_view type, std::string_view help);
  // One sample of the metric started last (for a histogram, name carries the
  // _bucket, _sum or _count suffix).
  void sample(std::string_view name, std::initializer_list<Label> labels, uint64_t value);
  void sample(std::string_view name, std::initializer_list<Label> labels, double value);

  // The text written so far.
  std::string take() { return std::move(out_); }

 private:
  void begin(std::string_view name, std::initializer_list<Label> labels);
  std::string out_;
};

}  // namespace allmende
