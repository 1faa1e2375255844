#include "metrics/rule_metric.h"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/text_escape.h"

namespace logpulse::metrics {

namespace {
constexpr char kSeparator = '\xff';

std::string number_text(double value) {
  char buffer[64];
  auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, ptr);
}
}  // namespace

RuleMetric::RuleMetric(const config::MetricSpec& spec, std::vector<std::string> label_names, std::size_t max_series,
                       std::chrono::milliseconds expire_after, prometheus::Counter& dropped)
    : spec_(spec),
      label_names_(std::move(label_names)),
      max_series_(max_series),
      expire_after_(expire_after),
      dropped_(dropped) {
  key_.reserve(256);
}

RuleMetric::Series* RuleMetric::resolve(std::span<const std::string_view> label_values, std::int64_t now_ms) {
  key_.clear();
  for (auto value : label_values) {
    key_.append(value);
    key_ += kSeparator;
  }
  auto it = series_.find(std::string_view(key_));
  Series* series = it != series_.end() ? it->second.get() : create(label_values, now_ms);
  if (series && expire_after_.count() > 0) series->last_update_ms.store(now_ms, std::memory_order_relaxed);
  return series;
}

RuleMetric::Series* RuleMetric::create(std::span<const std::string_view> label_values, std::int64_t now_ms) {
  if (series_.size() >= max_series_) {
    dropped_.Increment();
    if (throttle_.allow("dropped"))
      spdlog::warn(
          "metric {}: max_series ({}) reached: new label sets are dropped (logpulse_series_dropped_total; "
          "logged at most once a minute)",
          spec_.name, max_series_);
    return nullptr;
  }
  auto series = std::make_unique<Series>();
  series->label_values.assign(label_values.begin(), label_values.end());
  series->last_update_ms.store(now_ms, std::memory_order_relaxed);
  if (spec_.type == config::MetricType::kHistogram) {
    series->buckets = std::make_unique<std::atomic<std::uint64_t>[]>(spec_.buckets.size() + 1);
    for (std::size_t i = 0; i <= spec_.buckets.size(); ++i) series->buckets[i].store(0);
  } else if (spec_.type == config::MetricType::kSummary) {
    prometheus::Summary::Quantiles quantiles;
    for (double q : spec_.quantiles) quantiles.push_back({q, 0.001});
    series->summary = std::make_unique<prometheus::Summary>(quantiles, spec_.summary_max_age, 5);
  }
  Series* raw = series.get();
  std::lock_guard lock(mutex_);
  series_.emplace(key_, std::move(series));
  return raw;
}

void RuleMetric::observe(Series& s, double value) {
  if (spec_.type == config::MetricType::kSummary) {
    s.summary->Observe(value);
    return;
  }
  // Prometheus "le" buckets: the first bound >= value holds it.
  auto bound = std::lower_bound(spec_.buckets.begin(), spec_.buckets.end(), value);
  auto index = static_cast<std::size_t>(bound - spec_.buckets.begin());
  auto& bucket = s.buckets[index];
  bucket.store(bucket.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  s.sum.store(s.sum.load(std::memory_order_relaxed) + value, std::memory_order_relaxed);
}

std::size_t RuleMetric::expire(std::int64_t now_ms) {
  if (expire_after_.count() <= 0) return 0;
  const std::int64_t cutoff = now_ms - expire_after_.count();
  std::lock_guard lock(mutex_);
  return std::erase_if(series_, [&](const auto& entry) {
    return entry.second->last_update_ms.load(std::memory_order_relaxed) < cutoff;
  });
}

prometheus::MetricFamily RuleMetric::collect() const {
  prometheus::MetricFamily family;
  family.name = spec_.name;
  family.help = spec_.help;  // escaped by the text format
  switch (spec_.type) {
    case config::MetricType::kCounter: family.type = prometheus::MetricType::Counter; break;
    case config::MetricType::kGauge: family.type = prometheus::MetricType::Gauge; break;
    case config::MetricType::kHistogram: family.type = prometheus::MetricType::Histogram; break;
    case config::MetricType::kSummary: family.type = prometheus::MetricType::Summary; break;
  }
  std::lock_guard lock(mutex_);
  family.metric.reserve(series_.size());
  for (const auto& [key, series] : series_) {
    prometheus::ClientMetric metric;
    if (spec_.type == config::MetricType::kSummary) metric = series->summary->Collect();
    metric.label.reserve(label_names_.size());
    for (std::size_t i = 0; i < label_names_.size(); ++i)
      metric.label.push_back({label_names_[i], series->label_values[i]});
    switch (spec_.type) {
      case config::MetricType::kCounter: metric.counter.value = series->value.load(std::memory_order_relaxed); break;
      case config::MetricType::kGauge: metric.gauge.value = series->value.load(std::memory_order_relaxed); break;
      case config::MetricType::kHistogram: {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= spec_.buckets.size(); ++i) {
          cumulative += series->buckets[i].load(std::memory_order_relaxed);
          prometheus::ClientMetric::Bucket bucket;
          bucket.cumulative_count = cumulative;
          bucket.upper_bound = i < spec_.buckets.size() ? spec_.buckets[i] : std::numeric_limits<double>::infinity();
          metric.histogram.bucket.push_back(bucket);
        }
        metric.histogram.sample_count = cumulative;
        metric.histogram.sample_sum = series->sum.load(std::memory_order_relaxed);
        break;
      }
      case config::MetricType::kSummary: break;
    }
    family.metric.push_back(std::move(metric));
  }
  return family;
}

void RuleMetric::merge_from(const RuleMetric& other, std::int64_t now_ms) {
  std::lock_guard lock(other.mutex_);
  std::vector<std::string_view> values;
  for (const auto& [key, theirs] : other.series_) {
    values.assign(theirs->label_values.begin(), theirs->label_values.end());
    Series* ours = resolve(values, now_ms);
    if (ours == nullptr) continue;
    switch (spec_.type) {
      case config::MetricType::kCounter: add(*ours, theirs->value.load()); break;
      case config::MetricType::kGauge: set(*ours, theirs->value.load()); break;
      case config::MetricType::kHistogram:
        for (std::size_t i = 0; i <= spec_.buckets.size(); ++i)
          ours->buckets[i].store(ours->buckets[i].load() + theirs->buckets[i].load());
        ours->sum.store(ours->sum.load() + theirs->sum.load());
        break;
      case config::MetricType::kSummary: break;
    }
  }
}

std::string RuleMetric::signature() const {
  std::string out = std::to_string(static_cast<int>(spec_.type)) + ":";
  for (const auto& label : label_names_) out += label + ",";
  out += ":";
  for (double bound : spec_.buckets) out += number_text(bound) + ",";
  return out;
}

std::vector<std::string> RuleMetric::save() const {
  std::vector<std::string> lines;
  if (spec_.type == config::MetricType::kSummary) return lines;
  std::lock_guard lock(mutex_);
  for (const auto& [key, series] : series_) {
    std::string line;
    for (const auto& value : series->label_values) {
      line += core::encode_token(value);
      line += ' ';
    }
    line += '|';
    if (spec_.type == config::MetricType::kHistogram) {
      line += ' ' + number_text(series->sum.load(std::memory_order_relaxed));
      for (std::size_t i = 0; i <= spec_.buckets.size(); ++i)
        line += ' ' + std::to_string(series->buckets[i].load(std::memory_order_relaxed));
    } else {
      line += ' ' + number_text(series->value.load(std::memory_order_relaxed));
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

bool RuleMetric::restore_line(std::string_view line, std::int64_t now_ms) {
  if (spec_.type == config::MetricType::kSummary) return true;
  auto bar = line.find('|');
  if (bar == std::string_view::npos) return false;
  std::vector<std::string> values;
  std::string_view labels = line.substr(0, bar);
  std::string decoded;
  while (!labels.empty()) {
    auto space = labels.find(' ');
    if (space == std::string_view::npos) return false;
    if (!core::decode_token(labels.substr(0, space), decoded)) return false;
    values.push_back(decoded);
    labels.remove_prefix(space + 1);
  }
  if (values.size() != label_names_.size()) return false;
  std::vector<double> numbers;
  std::string_view rest = line.substr(bar + 1);
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    auto end = rest.find(' ');
    std::string_view token = rest.substr(0, end);
    double number = 0;
    auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), number);
    if (ec != std::errc() || ptr != token.data() + token.size()) return false;
    numbers.push_back(number);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  const std::size_t want = spec_.type == config::MetricType::kHistogram ? spec_.buckets.size() + 2 : 1;
  if (numbers.size() != want) return false;
  std::vector<std::string_view> views(values.begin(), values.end());
  Series* series = resolve(views, now_ms);
  if (series == nullptr) return false;
  if (spec_.type == config::MetricType::kHistogram) {
    series->sum.store(numbers[0]);
    for (std::size_t i = 0; i <= spec_.buckets.size(); ++i)
      series->buckets[i].store(static_cast<std::uint64_t>(numbers[i + 1]));
  } else {
    series->value.store(numbers[0]);
  }
  return true;
}

}  // namespace logpulse::metrics
