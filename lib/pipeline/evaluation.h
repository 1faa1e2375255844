// Evaluation: the service that reads the windows and evaluates the alerts of one generation
// at every tick, publishes the outcome (AnalyticsBoard: /metrics, /api/v1/alerts, status
// page) and hands firing and resolved alerts to Alertmanager (alert::AlertmanagerSender,
// when `alertmanager:` is set).
//
//   Evaluation evaluation(io, config, rules.windows(), std::move(rules.alert_rules()), board, self_metrics);
//   evaluation.restore(state.alert_lines);   // before start()
//   evaluation.start();  ...  evaluation.stop();   // then run io until finished()
//
// Ticks: windows are read at least once a second, alerts every evaluation_interval (a tick
// every min(evaluation_interval, 1s)). A tick runs on the ingestion thread between batches;
// delivery is asynchronous on the same io_context and never blocks it. Time comes from the
// injected clock (wall time: window buckets and alert times survive restarts).
// Not thread safe: the ingestion thread calls everything.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "alert/alertmanager_sender.h"
#include "alert/evaluator.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/log_throttle.h"
#include "metrics/self_metrics.h"
#include "pipeline/analytics_board.h"
#include "pipeline/window_set.h"

namespace logpulse::pipeline {

// alertmanager: as the sender takes it. Throws config::ConfigError naming the URL's place.
alert::AlertmanagerSenderOptions alertmanager_options(const config::Config& config);

class Evaluation {
 public:
  Evaluation(boost::asio::io_context& io, const config::Config& config, WindowSet& windows,
             std::vector<alert::AlertRule> rules, AnalyticsBoard& board, metrics::SelfMetrics& self_metrics,
             core::Clock& clock = core::system_clock());
  Evaluation(const Evaluation&) = delete;
  Evaluation& operator=(const Evaluation&) = delete;

  // True when there is nothing to evaluate (no windows, no alerts): start() does nothing.
  bool idle_config() const { return windows_.empty() && evaluator_.rules().empty(); }

  // Alert states saved by an earlier process or generation (the checkpoint's alert lines).
  void restore(const std::vector<std::string>& alert_lines);
  std::vector<std::string> save() const;

  std::chrono::milliseconds tick_period() const;
  // Reads the windows, evaluates the alerts when due, publishes, queues notifications.
  void tick();

  void start();
  void stop();
  // After stop(): true once the Alertmanager workers have returned.
  bool finished() const { return !sender_ || sender_->idle(); }

 private:
  void count_deliveries();

  const config::Config& config_;
  WindowSet& windows_;
  alert::Evaluator evaluator_;
  AnalyticsBoard& board_;
  metrics::SelfMetrics& self_metrics_;
  core::Clock& clock_;
  std::unique_ptr<alert::AlertmanagerSender> sender_;
  core::Clock::SteadyTime next_alert_evaluation_{};
  std::vector<std::uint64_t> late_seen_;     // per window: late_total() already counted
  std::vector<std::uint64_t> window_dropped_seen_;  // per window: dropped_total() already counted
  core::LogThrottle drop_log_;
  std::uint64_t sent_seen_ = 0, failed_seen_ = 0, dropped_seen_ = 0;
};

}  // namespace logpulse::pipeline
