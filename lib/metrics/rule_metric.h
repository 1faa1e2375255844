// RuleMetric: one metric family defined by rules (counter, gauge, histogram or summary),
// with one series per label set, created on first use and capped at max_series.
//
//   RuleMetric::Series* s = metric.resolve(label_values, now_ms);   // cached by label values
//   if (s) metric.add(*s, 1.0);
//
// Thread safety: resolve/add/set/observe/expire/restore run on ONE thread (the ingestion
// thread): series values are single-writer atomics, and a lookup takes no lock. Creating or
// removing a series takes a mutex that collect() (any thread, e.g. a scrape) also takes, so
// a scrape never sees the map change under it. Histogram _count is derived from the buckets
// so that "+Inf == _count" holds in every scrape.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/metric_family.h>
#include <prometheus/summary.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/log_throttle.h"

namespace logpulse::metrics {

class RuleMetric {
 public:
  struct Series {
    std::vector<std::string> label_values;
    std::atomic<double> value{0};                           // counter, gauge
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets;  // histogram, per bucket, +Inf last
    std::atomic<double> sum{0};                             // histogram
    std::unique_ptr<prometheus::Summary> summary;           // summary (its own lock)
    std::atomic<std::int64_t> last_update_ms{0};
  };

  // `label_names` in exposition order. `dropped` counts label sets refused by max_series.
  RuleMetric(const config::MetricSpec& spec, std::vector<std::string> label_names, std::size_t max_series,
             std::chrono::milliseconds expire_after, prometheus::Counter& dropped);
  RuleMetric(const RuleMetric&) = delete;
  RuleMetric& operator=(const RuleMetric&) = delete;

  // The series for these label values (valid UTF-8, in label_names order), created if new;
  // nullptr when the cap is reached. Stays valid until expire() removes it.
  Series* resolve(std::span<const std::string_view> label_values, std::int64_t now_ms);

  void add(Series& s, double amount) {
    s.value.store(s.value.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }
  void set(Series& s, double value) { s.value.store(value, std::memory_order_relaxed); }
  void observe(Series& s, double value);

  // Removes series not updated since now_ms - expire_after; returns how many.
  std::size_t expire(std::int64_t now_ms);

  prometheus::MetricFamily collect() const;

  // Adds `other`'s series into this one (same definition): counters and histograms add,
  // gauges take other's value (other covers the later part of the input). Summaries
  // cannot be merged; callers do not split work that has them. Ingestion thread only.
  void merge_from(const RuleMetric& other, std::int64_t now_ms);

  // Checkpointed state: one text line per series (summaries are not persisted).
  std::vector<std::string> save() const;
  bool restore_line(std::string_view line, std::int64_t now_ms);

  // Type, label names and buckets, without spaces: restored state must match it.
  std::string signature() const;
  const std::string& name() const { return spec_.name; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  config::MetricType type() const { return spec_.type; }
  std::size_t series_count() const { return series_.size(); }

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  Series* create(std::span<const std::string_view> label_values, std::int64_t now_ms);

  config::MetricSpec spec_;
  std::vector<std::string> label_names_;
  std::size_t max_series_;
  std::chrono::milliseconds expire_after_;
  prometheus::Counter& dropped_;
  core::LogThrottle throttle_;
  std::string key_;  // scratch for look-ups: label values joined by 0xFF (never in UTF-8)
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<Series>, KeyHash, std::equal_to<>> series_;
};

}  // namespace logpulse::metrics
