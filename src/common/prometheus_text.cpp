// Escaping follows the format: in label values backslash, double quote and
// line feed are escaped; in help texts backslash and line feed. Numbers are
// written in their shortest exact decimal form (std::to_chars).
#include "common/prometheus_text.h"

#include <charconv>

namespace allmende {

namespace {

void appendEscaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote)
      out += "\\\"";
    else
      out += c;
  }
}

}  // namespace

void PrometheusText::metric(std::string_view name, std::string_view type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ");
  appendEscaped(out_, help, false);
  out_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusText::begin(std::string_view name, std::initializer_list<Label> labels) {
  out_.append(name);
  if (labels.size() == 0) return;
  char separator = '{';
  for (const auto& [label, value] : labels) {
    out_.append(1, separator).append(label).append("=\"");
    appendEscaped(out_, value, true);
    out_ += '"';
    separator = ',';
  }
  out_ += '}';
}

void PrometheusText::sample(std::string_view name, std::initializer_list<Label> labels,
                            uint64_t value) {
  begin(name, labels);
  char buffer[24];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out_.append(" ").append(buffer, end).append("\n");
}

void PrometheusText::sample(std::string_view name, std::initializer_list<Label> labels,
                            double value) {
  begin(name, labels);
  char buffer[32];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out_.append(" ").append(buffer, end).append("\n");
}

}  // namespace allmende
