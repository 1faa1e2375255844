// What /metrics shows of the alerts, as plain data for the exporter to print:
//   ALERTS{alertname="..",alertstate="pending|firing",<alert labels>} 1
//   ALERTS_FOR_STATE{alertname="..",<alert labels>} <activeAt, Unix seconds>
//   logpulse_alerts{state="pending|firing"} <count>
// as Prometheus exposes its rules' alerts (resolved alerts have no series). Pure
// functions on Evaluator::active_alerts(); safe concurrently.
#pragma once

#include <cstddef>
#include <vector>

#include "alert/labels.h"
#include "alert/rule_state.h"

namespace logpulse::alert {

inline constexpr const char* kAlertsMetric = "ALERTS";
inline constexpr const char* kAlertsForStateMetric = "ALERTS_FOR_STATE";
inline constexpr const char* kAlertCountMetric = "logpulse_alerts";

struct AlertSeries {
  Labels labels;  // sorted
  double value = 0;
};

std::vector<AlertSeries> alerts_series(const std::vector<Alert>& alerts);
std::vector<AlertSeries> alerts_for_state_series(const std::vector<Alert>& alerts);
// {state="pending"} and {state="firing"}, in that order, zero counts included.
std::vector<AlertSeries> alert_count_series(const std::vector<Alert>& alerts);

}  // namespace logpulse::alert
