// Generation: everything that runs for one configuration: its rules, one follower and one
// ingestion loop per source, and the timers that belong to them. A reload starts a new
// generation from the old one's in-memory checkpoint (offsets, metric state, pending
// multiline records), stops the old one, and drops it once its coroutines have returned.
// Lives on the ingestion io_context; not thread safe except shared_store().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "config/config.h"
#include "pipeline/evaluation.h"
#include "metrics/self_metrics.h"
#include "pipeline/rule_pipeline.h"
#include "tail/checkpoint_store.h"
#include "tail/follower.h"

namespace logpulse {

std::int64_t steady_now_ms();

// Calls `tick` every `period` until *stopped is true (checked at least every 250 ms) or
// the io_context stops.
boost::asio::awaitable<void> every(std::chrono::milliseconds period, std::function<void()> tick,
                                   std::shared_ptr<const bool> stopped);

class Generation {
 public:
  // Throws config::ConfigError when the rules do not compile.
  Generation(boost::asio::io_context& io, config::Config config, metrics::SelfMetrics& self_metrics,
             pipeline::AnalyticsBoard& analytics);
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  // Restores `state` and `entries`, then spawns the followers and timers. `after_reload`:
  // they come from the generation this one replaces, not from a checkpoint file.
  void start(const std::vector<tail::CheckpointEntry>& entries, const tail::CheckpointState& state,
             bool after_reload);
  void stop();
  // True once stop() was called and every coroutine it spawned has returned.
  bool finished() const { return *stopped_ && *running_ == 0 && evaluation_.finished(); }

  std::vector<tail::CheckpointEntry> checkpoint_entries() const;
  tail::CheckpointState checkpoint_state() const {
    tail::CheckpointState state = rules_.save();
    state.alert_lines = evaluation_.save();
    return state;
  }
  const config::Config& config() const { return config_; }
  const std::vector<std::unique_ptr<tail::Follower>>& followers() const { return followers_; }
  const metrics::SourceMetrics& source_metrics(std::size_t i) const { return *source_metrics_[i]; }
  bool has_rules(std::size_t source_index) { return rules_.matcher(source_index).has_rules(); }
  // The last lines of the source no rule matched (status.unmatched_samples of them).
  const match::UnmatchedSamples& unmatched_samples(std::size_t source_index) {
    return rules_.matcher(source_index).unmatched_samples();
  }
  std::shared_ptr<const metrics::MetricStore> shared_store() const { return rules_.shared_store(); }

 private:
  template <typename Work>
  void spawn(Work work);
  void every(std::chrono::milliseconds period, std::function<void()> tick);

  boost::asio::io_context& io_;
  config::Config config_;
  metrics::SelfMetrics& self_metrics_;
  pipeline::RulePipeline rules_;
  pipeline::Evaluation evaluation_;
  std::vector<std::unique_ptr<metrics::SourceMetrics>> source_metrics_;
  std::vector<std::unique_ptr<tail::Follower>> followers_;
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
  std::shared_ptr<int> running_ = std::make_shared<int>(0);
};

}  // namespace logpulse
