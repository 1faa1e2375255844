// AnalyticsBoard: the latest evaluation of windows and alerts, as /metrics, GET
// /api/v1/alerts and the status page read it. The evaluation (ingestion thread) publishes
// a window snapshot and the active alerts; scrapes and requests (HTTP thread) read them. One
// mutex, taken once per publication and once per read, never per line; what a reader
// renders from a publication is built once, by the first reader, outside that mutex. It is a
// prometheus::Collectable: /metrics shows, per window, a gauge named after it (one series
// per `by` label set, `quantile` label for quantile windows), and the alerts as Prometheus
// does (ALERTS, ALERTS_FOR_STATE). Safe for concurrent use.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alert/rule_state.h"
#include "pipeline/window_set.h"

namespace logpulse::pipeline {

class AnalyticsBoard : public prometheus::Collectable {
 public:
  // `alert_rules`: how many alert rules were evaluated (the status page says "none firing"
  // rather than nothing when there are some).
  void publish(std::shared_ptr<const WindowSnapshot> windows, std::vector<alert::Alert> alerts,
               std::size_t alert_rules = 0);

  std::vector<prometheus::MetricFamily> Collect() const override;
  // The body of GET /api/v1/alerts (Prometheus' shape).
  std::string alerts_json() const;
  std::shared_ptr<const WindowSnapshot> windows() const;
  std::vector<alert::Alert> alerts() const;
  std::size_t alert_rules() const;

 private:
  // One publication. Its exposition and JSON are built by the first reader that needs them
  // (a scrape, a request: the HTTP thread), not by the evaluation on the ingestion thread.
  struct Published {
    std::shared_ptr<const WindowSnapshot> windows;
    std::vector<alert::Alert> alerts;
    mutable std::once_flag families_once, json_once;
    mutable std::vector<prometheus::MetricFamily> families;
    mutable std::string alerts_json;
    std::size_t alert_rules = 0;
  };
  std::shared_ptr<const Published> current() const;
  mutable std::mutex mutex_;
  std::shared_ptr<const Published> published_;
};

// The families /metrics shows for these windows and alerts (exposed for tests).
std::vector<prometheus::MetricFamily> analytics_families(const WindowSnapshot* windows,
                                                         const std::vector<alert::Alert>& alerts);

}  // namespace logpulse::pipeline
