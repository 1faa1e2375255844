#include "pipeline/analytics_board.h"

#include <charconv>

#include "alert/alert_json.h"
#include "alert/alert_series.h"
#include "window/window_spec.h"

namespace logpulse::pipeline {
namespace {

// A quantile as Prometheus writes its label: the shortest decimal ("0.5", "0.99", "1").
std::string quantile_label(double q) {
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof text, q);
  return ec == std::errc() ? std::string(text, end) : std::to_string(q);
}

prometheus::ClientMetric gauge_sample(const alert::Labels& labels, double value) {
  prometheus::ClientMetric metric;
  metric.label.reserve(labels.size());
  for (const auto& [name, label_value] : labels) metric.label.push_back({name, label_value});
  metric.gauge.value = value;
  return metric;
}

prometheus::MetricFamily alert_family(const std::string& name, const std::string& help,
                                      const std::vector<alert::AlertSeries>& series) {
  prometheus::MetricFamily family{name, help, prometheus::MetricType::Gauge, {}};
  for (const auto& s : series) family.metric.push_back(gauge_sample(s.labels, s.value));
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> analytics_families(const WindowSnapshot* windows,
                                                         const std::vector<alert::Alert>& alerts) {
  std::vector<prometheus::MetricFamily> families;
  if (windows != nullptr) {
    for (const WindowValues& values : windows->windows()) {
      const double over_s = std::chrono::duration<double>(values.over).count();
      char over_text[32];
      std::snprintf(over_text, sizeof over_text, "%g", over_s);
      prometheus::MetricFamily family{values.name,
                                      std::string("Window: ") + config::agg_name(values.agg) + " over the last " +
                                          over_text + "s of rule " + values.rule + ".",
                                      prometheus::MetricType::Gauge,
                                      {}};
      family.metric.reserve(values.series.size());
      const bool quantile = values.agg == config::WindowAgg::kQuantile;
      for (const WindowSeries& series : values.series) {
        prometheus::ClientMetric metric;
        for (std::size_t i = 0; i < values.by.size() && i < series.labels.size(); ++i)
          metric.label.push_back({values.by[i], series.labels[i]});
        if (quantile) metric.label.push_back({"quantile", quantile_label(series.quantile)});
        metric.gauge.value = series.value;
        family.metric.push_back(std::move(metric));
      }
      families.push_back(std::move(family));
    }
  }
  // As Prometheus: no ALERTS series (nor family) while no alert is pending or firing.
  if (!alerts.empty()) {
    families.push_back(alert_family(alert::kAlertsMetric, "Alerts per label set: 1 while pending or firing.",
                                    alert::alerts_series(alerts)));
    families.push_back(alert_family(alert::kAlertsForStateMetric,
                                    "The time (Unix seconds) each pending or firing alert became active.",
                                    alert::alerts_for_state_series(alerts)));
  }
  return families;
}

void AnalyticsBoard::publish(std::shared_ptr<const WindowSnapshot> windows, std::vector<alert::Alert> alerts,
                             std::size_t alert_rules) {
  auto next = std::make_shared<Published>();
  next->alert_rules = alert_rules;
  next->windows = std::move(windows);
  next->alerts = std::move(alerts);
  std::lock_guard lock(mutex_);
  published_ = std::move(next);
}

std::shared_ptr<const AnalyticsBoard::Published> AnalyticsBoard::current() const {
  std::lock_guard lock(mutex_);
  return published_;
}

std::vector<prometheus::MetricFamily> AnalyticsBoard::Collect() const {
  auto published = current();
  if (!published) return {};
  std::call_once(published->families_once, [&published] {
    published->families = analytics_families(published->windows.get(), published->alerts);
  });
  return published->families;
}

std::string AnalyticsBoard::alerts_json() const {
  auto published = current();
  if (!published) return alert::api_alerts_json({});
  std::call_once(published->json_once, [&published] { published->alerts_json = alert::api_alerts_json(published->alerts); });
  return published->alerts_json;
}

std::shared_ptr<const WindowSnapshot> AnalyticsBoard::windows() const {
  auto published = current();
  return published ? published->windows : nullptr;
}

std::vector<alert::Alert> AnalyticsBoard::alerts() const {
  auto published = current();
  return published ? published->alerts : std::vector<alert::Alert>{};
}

std::size_t AnalyticsBoard::alert_rules() const {
  auto published = current();
  return published ? published->alert_rules : 0;
}

}  // namespace logpulse::pipeline
