#include "remote/series_snapshot.h"

#include <algorithm>
#include <string_view>

#include "metrics/text_format.h"

namespace logpulse::remote {
namespace {

std::string number_text(double value) {
  std::string text;
  metrics::append_value(text, value);
  return text;
}

// The labels of one sample: its own, `extra` (le / quantile) if any, __name__, and the
// external labels it does not have itself; sorted by name.
Labels labels_of(const prometheus::ClientMetric& metric, std::string name, const Label* extra,
                 const Labels& external_labels) {
  Labels labels;
  labels.reserve(metric.label.size() + external_labels.size() + 2);
  labels.emplace_back("__name__", std::move(name));
  for (const auto& label : metric.label) labels.emplace_back(label.name, label.value);
  if (extra) labels.push_back(*extra);
  std::sort(labels.begin(), labels.end());
  const std::size_t own = labels.size();
  for (const auto& external : external_labels) {
    const auto found = std::lower_bound(labels.begin(), labels.begin() + static_cast<std::ptrdiff_t>(own), external,
                                        [](const Label& a, const Label& b) { return a.first < b.first; });
    if (found == labels.begin() + static_cast<std::ptrdiff_t>(own) || found->first != external.first)
      labels.push_back(external);
  }
  if (labels.size() != own) std::sort(labels.begin(), labels.end());
  return labels;
}

}  // namespace

void append_series(std::vector<Series>& out, const std::vector<prometheus::MetricFamily>& families,
                   const Labels& external_labels, std::int64_t timestamp_ms) {
  auto add = [&](const prometheus::ClientMetric& metric, std::string name, const Label* extra, double value) {
    out.push_back(Series{labels_of(metric, std::move(name), extra, external_labels), value, timestamp_ms});
  };
  for (const auto& family : families) {
    for (const auto& metric : family.metric) {
      switch (family.type) {
        case prometheus::MetricType::Counter:
          add(metric, family.name, nullptr, metric.counter.value);
          break;
        case prometheus::MetricType::Gauge:
          add(metric, family.name, nullptr, metric.gauge.value);
          break;
        case prometheus::MetricType::Untyped:
          add(metric, family.name, nullptr, metric.untyped.value);
          break;
        case prometheus::MetricType::Histogram: {
          for (const auto& bucket : metric.histogram.bucket) {
            const Label le{"le", number_text(bucket.upper_bound)};
            add(metric, family.name + "_bucket", &le, static_cast<double>(bucket.cumulative_count));
          }
          add(metric, family.name + "_sum", nullptr, metric.histogram.sample_sum);
          add(metric, family.name + "_count", nullptr, static_cast<double>(metric.histogram.sample_count));
          break;
        }
        case prometheus::MetricType::Summary: {
          for (const auto& quantile : metric.summary.quantile) {
            const Label q{"quantile", number_text(quantile.quantile)};
            add(metric, family.name, &q, quantile.value);
          }
          add(metric, family.name + "_sum", nullptr, metric.summary.sample_sum);
          add(metric, family.name + "_count", nullptr, static_cast<double>(metric.summary.sample_count));
          break;
        }
      }
    }
  }
}

}  // namespace logpulse::remote
