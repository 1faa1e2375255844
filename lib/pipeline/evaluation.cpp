#include "pipeline/evaluation.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "alert/alert_checkpoint.h"
#include "alert/alert_json.h"
#include "alert/alert_series.h"
#include "config/config_loader.h"
#include "net/url.h"

namespace logpulse::pipeline {

using namespace std::chrono_literals;

alert::AlertmanagerSenderOptions alertmanager_options(const config::Config& config) {
  alert::AlertmanagerSenderOptions options;
  const auto& am = config.alertmanager;
  for (std::size_t i = 0; i < am.urls.size(); ++i) {
    const auto [line, column] = i < am.url_positions.size() ? am.url_positions[i] : std::pair{am.line, am.column};
    const std::string place = config.file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
    auto url = net::Url::parse(am.urls[i]);
    if (!url) throw config::ConfigError(place + "alertmanager: " + url.error());
    options.urls.push_back(*url);
  }
  options.request.connect_timeout = std::min(am.timeout, options.request.connect_timeout);
  options.request.exchange_timeout = am.timeout;
  return options;
}

Evaluation::Evaluation(boost::asio::io_context& io, const config::Config& config, WindowSet& windows,
                       std::vector<alert::AlertRule> rules, AnalyticsBoard& board,
                       metrics::SelfMetrics& self_metrics, core::Clock& clock)
    : config_(config),
      windows_(windows),
      evaluator_(std::move(rules),
                 alert::DeliveryTiming{config.alertmanager.resend_interval, config.evaluation_interval}, clock),
      board_(board),
      self_metrics_(self_metrics),
      clock_(clock),
      late_seen_(windows.size(), 0),
      window_dropped_seen_(windows.size(), 0) {
  if (!config.alertmanager.urls.empty())
    sender_ = std::make_unique<alert::AlertmanagerSender>(io, alertmanager_options(config), clock);
  std::vector<std::string> read;
  for (const auto& rule : evaluator_.rules())
    for (const auto& ref : rule.expr.references()) read.push_back(ref.name);
  windows_.set_read_by_alerts(read);
}

void Evaluation::restore(const std::vector<std::string>& alert_lines) {
  if (alert_lines.empty()) return;
  alert::AlertCheckpointLoad load = alert::decode_alert_checkpoint(alert_lines);
  if (!load.problem.empty()) spdlog::warn("checkpointed alerts: {} (those lines are ignored)", load.problem);
  const std::size_t dropped = evaluator_.restore(load.alerts);
  if (dropped > 0) spdlog::info("{} checkpointed alert(s) of rules no longer configured: dropped", dropped);
}

std::vector<std::string> Evaluation::save() const { return alert::encode_alert_checkpoint(evaluator_.save()); }

std::chrono::milliseconds Evaluation::tick_period() const {
  return std::min<std::chrono::milliseconds>(config_.evaluation_interval, 1s);
}

void Evaluation::tick() {
  auto snapshot = windows_.snapshot(clock_.wall());
  const auto now = clock_.steady();
  if (!evaluator_.rules().empty() && now >= next_alert_evaluation_) {
    next_alert_evaluation_ = now + config_.evaluation_interval;
    std::vector<alert::Notification> notifications =
        evaluator_.evaluate([&snapshot](const alert::WindowRef& ref) { return snapshot->lookup(ref); });
    if (sender_ && !notifications.empty())
      sender_->enqueue(alert::alertmanager_body(notifications, ""), notifications.size());
  }
  std::vector<alert::Alert> active = evaluator_.active_alerts();
  for (const auto& series : alert::alert_count_series(active))
    self_metrics_.alerts(series.labels.front().second).Set(series.value);
  for (std::size_t i = 0; i < snapshot->windows().size() && i < late_seen_.size(); ++i) {
    const WindowValues& window = snapshot->windows()[i];
    if (window.late > late_seen_[i]) {
      self_metrics_.window_late(window.name).Increment(static_cast<double>(window.late - late_seen_[i]));
      late_seen_[i] = window.late;
    }
    // Label sets beyond max_series: counted as a rule metric's are.
    if (window.dropped > window_dropped_seen_[i]) {
      if (drop_log_.allow(window.name))
        spdlog::warn("window {}: max_series reached: records of new label sets are dropped "
                     "(logpulse_series_dropped_total; logged at most once a minute)", window.name);
      self_metrics_.series_dropped()
          .Add({{"metric", window.name}})
          .Increment(static_cast<double>(window.dropped - window_dropped_seen_[i]));
      window_dropped_seen_[i] = window.dropped;
    }
  }
  count_deliveries();
  board_.publish(std::move(snapshot), std::move(active), evaluator_.rules().size());
}

// The sender counts per URL attempt; the self-metrics take what is new since the last tick.
void Evaluation::count_deliveries() {
  if (!sender_) return;
  const auto& counters = sender_->counters();
  auto add = [this](const char* outcome, std::uint64_t now, std::uint64_t& seen) {
    if (now > seen) self_metrics_.alert_notifications(outcome).Increment(static_cast<double>(now - seen));
    seen = now;
  };
  add("sent", counters.sent.load(), sent_seen_);
  add("failed", counters.failed.load(), failed_seen_);
  add("dropped", counters.dropped.load(), dropped_seen_);
}

void Evaluation::start() {
  if (idle_config()) return;
  // The series exist from the start, at 0, as a scrape expects of a counter.
  self_metrics_.alerts("pending");
  self_metrics_.alerts("firing");
  for (const auto& window : config_.windows) self_metrics_.window_late(window.name);
  if (sender_) {
    self_metrics_.alert_notifications("sent");
    self_metrics_.alert_notifications("failed");
    sender_->start();
  }
  tick();
}

void Evaluation::stop() {
  if (sender_) {
    count_deliveries();
    sender_->stop();
  }
}

}  // namespace logpulse::pipeline
