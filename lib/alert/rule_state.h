// RuleState: the alerts of one alert rule, one per label set, and how they move at each
// evaluation, with Prometheus' semantics (rules/alerting.go):
//   - a label set the expression returns becomes pending (activeAt = now) and firing once it
//     has been returned for `for` (for: 0s fires at the first evaluation);
//   - a pending alert the expression no longer returns is forgotten;
//   - a firing one stays firing for `keep_firing_for` after the condition clears, then is
//     resolved (state inactive, resolvedAt = now) and kept 15 minutes so that its end is
//     re-sent; a label set that comes back meanwhile starts over as pending;
//   - it is sent when it fires, re-sent while firing (and while resolved) each time more
//     than resend_interval has passed since the last send, and sent once more at once when
//     it resolves. endsAt is resolvedAt, or for a firing alert now + 4 * max(resend_interval,
//     evaluation_interval) so that Alertmanager resolves it if we stop sending.
// Times are wall-clock (they are shown, sent, and survive restarts in the checkpoint).
// Not thread safe: one evaluator thread owns it; readers get copies (active()).
#pragma once

#include <chrono>
#include <map>
#include <string_view>
#include <vector>

#include "alert/alert_rule.h"
#include "alert/labels.h"

namespace logpulse::alert {

using WallTime = std::chrono::system_clock::time_point;

// Resolved alerts are kept (and re-sent) this long, as Prometheus does.
inline constexpr std::chrono::minutes kResolvedRetention{15};

enum class AlertState { kInactive, kPending, kFiring };  // inactive: resolved
std::string_view state_name(AlertState state);           // "inactive" "pending" "firing"

struct Alert {
  Labels labels;       // the sample's labels + the rule's labels + alertname; sorted
  Labels annotations;  // rendered; sorted by name
  AlertState state = AlertState::kPending;
  double value = 0;  // the expression's left side at the last evaluation that returned it
  // WallTime{} (the epoch) means "not set", as Go's zero time.Time does in Prometheus.
  WallTime active_at{};
  WallTime fired_at{};
  WallTime resolved_at{};
  WallTime last_sent_at{};
  WallTime keep_firing_since{};
  WallTime valid_until{};  // the endsAt last sent for it while firing
};

struct DeliveryTiming {
  std::chrono::milliseconds resend_interval{std::chrono::minutes(1)};
  std::chrono::milliseconds evaluation_interval{std::chrono::seconds(1)};
};

enum class NotificationReason { kFired, kResent, kResolved };

// An alert to POST to Alertmanager now: a copy taken at the evaluation.
struct Notification {
  Alert alert;
  NotificationReason reason = NotificationReason::kFired;
  WallTime starts_at{};  // when it fired
  WallTime ends_at{};    // resolvedAt, or the firing alert's validity limit
};

class RuleState {
 public:
  // Moves the alerts of `rule` given the samples its expression returned at `now`, and
  // appends to `out` what must be sent to Alertmanager. Never throws (but bad_alloc).
  void evaluate(const AlertRule& rule, const Vector& samples, WallTime now, const DeliveryTiming& timing,
                std::vector<Notification>& out);

  // Appends the pending and firing alerts (what /api/v1/alerts and ALERTS show).
  void append_active(std::vector<Alert>& out) const;
  // Every alert held, resolved ones included: what the checkpoint saves.
  const std::map<Labels, Alert>& alerts() const { return alerts_; }
  // Puts back an alert saved by an earlier process, replacing one with the same labels.
  // Its annotations are rendered again at the next evaluation (the templates may differ).
  void restore(Alert alert);

 private:
  std::map<Labels, Alert> alerts_;
  bool render_all_ = false;  // set by restore(): render even when a value has not changed
};

}  // namespace logpulse::alert
