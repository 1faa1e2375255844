#include "alert/alert_series.h"

#include <chrono>
#include <string>

namespace logpulse::alert {

std::vector<AlertSeries> alerts_series(const std::vector<Alert>& alerts) {
  std::vector<AlertSeries> out;
  for (const Alert& a : alerts) {
    if (a.state == AlertState::kInactive) continue;
    out.push_back({merge_labels(a.labels, {{"alertstate", std::string(state_name(a.state))}}), 1});
  }
  return out;
}

std::vector<AlertSeries> alerts_for_state_series(const std::vector<Alert>& alerts) {
  std::vector<AlertSeries> out;
  for (const Alert& a : alerts) {
    if (a.state == AlertState::kInactive) continue;
    // Whole seconds, as Prometheus writes float64(ActiveAt.Unix()).
    const auto s = std::chrono::floor<std::chrono::seconds>(a.active_at.time_since_epoch()).count();
    out.push_back({a.labels, static_cast<double>(s)});
  }
  return out;
}

std::vector<AlertSeries> alert_count_series(const std::vector<Alert>& alerts) {
  double pending = 0, firing = 0;
  for (const Alert& a : alerts) {
    if (a.state == AlertState::kPending) ++pending;
    if (a.state == AlertState::kFiring) ++firing;
  }
  return {{{{"state", "pending"}}, pending}, {{{"state", "firing"}}, firing}};
}

}  // namespace logpulse::alert
