// SelfMetrics: logpulse's own metrics (names fixed by SPEC.md) in a prometheus-cpp
// registry. Handles are resolved once (per source, per followed path) and kept; updates are
// lock-free atomics, safe from any thread. Creating/removing per-path series takes the
// family's lock: do it when files come and go, not per line.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "core/text_escape.h"

namespace logpulse::metrics {

struct SourceMetrics {
  std::string source;
  prometheus::Counter& lines_read;
  prometheus::Counter& bytes_read;
  prometheus::Counter& lines_truncated;
  prometheus::Counter& rotations;
  prometheus::Counter& truncations;
  prometheus::Counter& nul_bytes_skipped;
  prometheus::Counter& read_errors;
  prometheus::Counter& rescans;  // directory looks completed (globs expanded, siblings listed)
  prometheus::Gauge& files_followed;
  prometheus::Family<prometheus::Gauge>& lag_family;

  // Once per batch of lines: what it delivered.
  void record_batch(std::size_t lines, std::uint64_t bytes, std::uint64_t truncated, std::uint64_t nul_bytes) {
    lines_read.Increment(static_cast<double>(lines));
    bytes_read.Increment(static_cast<double>(bytes));
    if (truncated) lines_truncated.Increment(static_cast<double>(truncated));
    if (nul_bytes) nul_bytes_skipped.Increment(static_cast<double>(nul_bytes));
  }

  prometheus::Gauge& lag_for(const std::string& path) {
    return lag_family.Add({{"source", source}, {"path", core::repair_utf8(path)}});
  }
  void forget_lag(prometheus::Gauge& gauge) { lag_family.Remove(&gauge); }
};

class SelfMetrics {
 public:
  explicit SelfMetrics(prometheus::Registry& registry);
  SelfMetrics(const SelfMetrics&) = delete;
  SelfMetrics& operator=(const SelfMetrics&) = delete;

  // Handles for one source; call once per source at start-up.
  std::unique_ptr<SourceMetrics> for_source(const std::string& source);

  prometheus::Gauge& checkpoint_age_seconds() { return checkpoint_age_; }
  prometheus::Counter& checkpoint_errors() { return checkpoint_errors_; }
  prometheus::Counter& lines_matched(const std::string& rule) { return lines_matched_.Add({{"rule", rule}}); }
  prometheus::Counter& lines_unmatched(const std::string& source) { return lines_unmatched_.Add({{"source", source}}); }
  prometheus::Counter& value_errors(const std::string& rule, const std::string& metric) {
    return value_errors_.Add({{"rule", rule}, {"metric", metric}});
  }
  prometheus::Counter& timestamp_errors(const std::string& rule) { return timestamp_errors_.Add({{"rule", rule}}); }
  prometheus::Counter& json_errors(const std::string& source) { return json_errors_.Add({{"source", source}}); }
  prometheus::Family<prometheus::Counter>& series_dropped() { return series_dropped_; }
  // outcome: sent | failed | dropped (see alert/alertmanager_sender.h for each).
  prometheus::Counter& alert_notifications(const std::string& outcome) {
    return alert_notifications_.Add({{"outcome", outcome}});
  }
  prometheus::Gauge& alerts(const std::string& state) { return alerts_.Add({{"state", state}}); }
  prometheus::Counter& window_late(const std::string& window) { return window_late_.Add({{"window", window}}); }

 private:
  prometheus::Family<prometheus::Counter>& lines_read_;
  prometheus::Family<prometheus::Counter>& bytes_read_;
  prometheus::Family<prometheus::Counter>& lines_truncated_;
  prometheus::Family<prometheus::Counter>& rotations_;
  prometheus::Family<prometheus::Counter>& truncations_;
  prometheus::Family<prometheus::Counter>& nul_bytes_skipped_;
  prometheus::Family<prometheus::Counter>& read_errors_;
  prometheus::Family<prometheus::Counter>& rescans_;
  prometheus::Family<prometheus::Gauge>& files_followed_;
  prometheus::Family<prometheus::Gauge>& file_lag_;
  prometheus::Gauge& checkpoint_age_;
  prometheus::Counter& checkpoint_errors_;
  prometheus::Family<prometheus::Counter>& alert_notifications_;
  prometheus::Family<prometheus::Gauge>& alerts_;
  prometheus::Family<prometheus::Counter>& window_late_;
  prometheus::Family<prometheus::Counter>& lines_matched_;
  prometheus::Family<prometheus::Counter>& lines_unmatched_;
  prometheus::Family<prometheus::Counter>& value_errors_;
  prometheus::Family<prometheus::Counter>& timestamp_errors_;
  prometheus::Family<prometheus::Counter>& json_errors_;
  prometheus::Family<prometheus::Counter>& series_dropped_;
};

}  // namespace logpulse::metrics
