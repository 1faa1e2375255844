// RulePipeline: the rule side of logpulse for one configuration: the metric store, the
// windows, one SourceMatcher per source (in config.sources order) feeding both, and the alert
// rules compiled against the windows. Built once at start-up (throws config::ConfigError
// naming FILE:LINE:COLUMN for bad rules, windows or alerts); then used by the ingestion
// thread only, except the store's Collect(), which any thread may call.
#pragma once

#include <memory>
#include <vector>

#include "alert/alert_rule.h"
#include "config/config.h"
#include "core/clock.h"
#include "match/source_matcher.h"
#include "metrics/metric_store.h"
#include "metrics/self_metrics.h"
#include "pipeline/window_set.h"
#include "tail/checkpoint_store.h"

namespace logpulse::pipeline {

class RulePipeline {
 public:
  RulePipeline(const config::Config& config, metrics::SelfMetrics& self_metrics,
               const core::Clock& clock = core::system_clock());

  match::SourceMatcher& matcher(std::size_t source_index) { return *matchers_[source_index]; }
  metrics::MetricStore& store() { return *store_; }
  const metrics::MetricStore& store() const { return *store_; }
  // For readers on other threads (scrapes) that must keep the store alive across a reload.
  std::shared_ptr<const metrics::MetricStore> shared_store() const { return store_; }

  WindowSet& windows() { return windows_; }
  // The alert rules, compiled; moved out once by whoever evaluates them.
  std::vector<alert::AlertRule>& alert_rules() { return alert_rules_; }

  // The state that must be checkpointed with the offsets, and its restoration.
  tail::CheckpointState save() const;
  void restore(const tail::CheckpointState& state, std::int64_t now_ms);

 private:
  const config::Config& config_;
  std::shared_ptr<metrics::MetricStore> store_;
  WindowSet windows_;
  std::vector<alert::AlertRule> alert_rules_;
  std::vector<std::unique_ptr<match::SourceMatcher>> matchers_;
};

}  // namespace logpulse::pipeline
