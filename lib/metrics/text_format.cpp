#include "metrics/text_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace logpulse::metrics {

namespace {

void append_count(std::string& out, std::uint64_t value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

// NAME SUFFIX {labels[, extra="value"]} and the space before the value.
void append_head(std::string& out, const prometheus::MetricFamily& family, const prometheus::ClientMetric& metric,
                 std::string_view suffix, std::string_view extra_name = {}, double extra_value = 0) {
  out += family.name;
  out += suffix;
  if (!metric.label.empty() || !extra_name.empty()) {
    out += '{';
    bool first = true;
    for (const auto& label : metric.label) {
      if (!first) out += ',';
      first = false;
      out += label.name;
      out += "=\"";
      append_label_value(out, label.value);
      out += '"';
    }
    if (!extra_name.empty()) {
      if (!first) out += ',';
      out += extra_name;
      out += "=\"";
      append_value(out, extra_value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

void append_tail(std::string& out, const prometheus::ClientMetric& metric) {
  if (metric.timestamp_ms != 0) {
    out += ' ';
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, metric.timestamp_ms);
    out.append(buffer, end);
  }
  out += '\n';
}

const char* type_name(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Summary: return "summary";
    case prometheus::MetricType::Histogram: return "histogram";
    case prometheus::MetricType::Untyped: return "untyped";
  }
  return "untyped";
}

void append_metric(std::string& out, const prometheus::MetricFamily& family, const prometheus::ClientMetric& metric) {
  switch (family.type) {
    case prometheus::MetricType::Counter:
      append_head(out, family, metric, "");
      append_value(out, metric.counter.value);
      append_tail(out, metric);
      break;
    case prometheus::MetricType::Gauge:
      append_head(out, family, metric, "");
      append_value(out, metric.gauge.value);
      append_tail(out, metric);
      break;
    case prometheus::MetricType::Untyped:
      append_head(out, family, metric, "");
      append_value(out, metric.untyped.value);
      append_tail(out, metric);
      break;
    case prometheus::MetricType::Summary:
      append_head(out, family, metric, "_count");
      append_count(out, metric.summary.sample_count);
      append_tail(out, metric);
      append_head(out, family, metric, "_sum");
      append_value(out, metric.summary.sample_sum);
      append_tail(out, metric);
      for (const auto& q : metric.summary.quantile) {
        append_head(out, family, metric, "", "quantile", q.quantile);
        append_value(out, q.value);
        append_tail(out, metric);
      }
      break;
    case prometheus::MetricType::Histogram: {
      append_head(out, family, metric, "_count");
      append_count(out, metric.histogram.sample_count);
      append_tail(out, metric);
      append_head(out, family, metric, "_sum");
      append_value(out, metric.histogram.sample_sum);
      append_tail(out, metric);
      constexpr double kInf = std::numeric_limits<double>::infinity();
      double last = -kInf;
      for (const auto& bucket : metric.histogram.bucket) {
        append_head(out, family, metric, "_bucket", "le", bucket.upper_bound);
        append_count(out, bucket.cumulative_count);
        append_tail(out, metric);
        last = bucket.upper_bound;
      }
      if (last != kInf) {
        append_head(out, family, metric, "_bucket", "le", kInf);
        append_count(out, metric.histogram.sample_count);
        append_tail(out, metric);
      }
      break;
    }
  }
}

}  // namespace

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];  // the shortest round-trip form of a double needs at most 24
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, end);
  }
}

void append_text(std::string& out, const std::vector<prometheus::MetricFamily>& families) {
  for (const auto& family : families) {
    if (!family.help.empty()) {
      out += "# HELP ";
      out += family.name;
      out += ' ';
      append_help(out, family.help);
      out += '\n';
    }
    out += "# TYPE ";
    out += family.name;
    out += ' ';
    out += type_name(family.type);
    out += '\n';
    for (const auto& metric : family.metric) append_metric(out, family, metric);
  }
}

}  // namespace logpulse::metrics
