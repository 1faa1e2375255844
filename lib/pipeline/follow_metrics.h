// FollowMetrics: publishes what the followers count (core::SourceCounters, one per source
// name) as logpulse's self-metrics (logpulse_lines_read_total, ..., logpulse_files_followed,
// logpulse_file_lag_bytes{source,path}), so that tail/ knows nothing of Prometheus.
//
//   auto follow = std::make_shared<FollowMetrics>(registry, self_metrics);
//   tail::Follower follower(..., follow->for_source("app"), ...);
//   router collectables: {follow, rule store}        // Collect() publishes, then collects
//
// The counters of a source name live as long as this object: a follower of the next
// configuration continues them, as the Prometheus series continue. Publishing happens at
// scrape time, on the scraping thread, under this object's mutex; the followers' side is
// relaxed atomics and a per-round lag table. Safe for concurrent use.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/source_counters.h"
#include "metrics/self_metrics.h"

namespace logpulse::pipeline {

class FollowMetrics : public prometheus::Collectable {
 public:
  FollowMetrics(std::shared_ptr<const prometheus::Registry> registry, metrics::SelfMetrics& self_metrics)
      : registry_(std::move(registry)), self_metrics_(self_metrics) {}
  FollowMetrics(const FollowMetrics&) = delete;
  FollowMetrics& operator=(const FollowMetrics&) = delete;

  // The counters of `source`, created on first use; the reference stays valid for the
  // lifetime of this object. Control plane: call once per source when a follower starts.
  core::SourceCounters& for_source(const std::string& source);

  // Brings the Prometheus series up to date with the counters.
  void publish() const;

  // publish(), then the self-metrics registry's families.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Published {
    std::uint64_t lines_read = 0, bytes_read = 0, lines_truncated = 0, nul_bytes_skipped = 0, read_errors = 0,
                  rotations = 0, truncations = 0;
    std::map<std::string, prometheus::Gauge*> lag;  // by path label (core::repair_utf8)
  };
  struct Source {
    core::SourceCounters counters;
    std::unique_ptr<metrics::SourceMetrics> metrics;
    Published published;
  };

  std::shared_ptr<const prometheus::Registry> registry_;
  metrics::SelfMetrics& self_metrics_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Source>> sources_;  // guarded by mutex_
};

}  // namespace logpulse::pipeline
