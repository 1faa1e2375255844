#include "alert/rule_state.h"

#include <algorithm>
#include <unordered_set>

namespace logpulse::alert {

std::string_view state_name(AlertState state) {
  switch (state) {
    case AlertState::kInactive: return "inactive";
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
  }
  return "inactive";
}

namespace {

bool is_set(WallTime t) { return t != WallTime{}; }

Labels render_annotations(const AlertRule& rule, const Labels& sample_labels, double value) {
  Labels out;
  out.reserve(rule.annotations.size());
  for (const auto& [name, tmpl] : rule.annotations) out.emplace_back(name, tmpl.render(sample_labels, value));
  return out;
}

}  // namespace

void RuleState::evaluate(const AlertRule& rule, const Vector& samples, WallTime now, const DeliveryTiming& timing,
                         std::vector<Notification>& out) {
  // 1. What the expression returned: update held alerts, start new ones as pending.
  std::unordered_set<const Labels*> returned;
  returned.reserve(samples.size());
  for (const auto& [sample_labels, value] : samples) {
    Labels labels = merge_labels(sample_labels, rule.labels);
    auto it = alerts_.find(labels);
    const bool fresh_alert = it == alerts_.end() || it->second.state == AlertState::kInactive;
    if (fresh_alert) {
      Alert fresh;
      fresh.labels = labels;
      fresh.state = AlertState::kPending;
      fresh.active_at = now;
      if (it == alerts_.end()) {
        it = alerts_.emplace(std::move(labels), std::move(fresh)).first;
      } else {
        it->second = std::move(fresh);
      }
    }
    // Same labels and value render the same text: skip it (10,000 label sets are the norm).
    if (fresh_alert || render_all_ || !(it->second.value == value)) {
      it->second.annotations = render_annotations(rule, sample_labels, value);
    }
    it->second.value = value;
    returned.insert(&it->first);
  }

  render_all_ = false;

  // 2. Move every alert along.
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    Alert& a = it->second;
    if (!returned.contains(&it->first)) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && rule.keep_firing_for.count() > 0) {
        if (!is_set(a.keep_firing_since)) a.keep_firing_since = now;
        keep_firing = now - a.keep_firing_since < rule.keep_firing_for;
      }
      if (a.state == AlertState::kPending ||
          (a.state == AlertState::kInactive && now - a.resolved_at > kResolvedRetention)) {
        it = alerts_.erase(it);
        continue;
      }
      if (!keep_firing && a.state != AlertState::kInactive) {
        a.state = AlertState::kInactive;
        a.resolved_at = now;
      }
    } else {
      a.keep_firing_since = WallTime{};
    }
    if (a.state == AlertState::kPending && now - a.active_at >= rule.for_duration) {
      a.state = AlertState::kFiring;
      a.fired_at = now;
    }
    ++it;
  }

  // 3. What to send.
  const auto validity = 4 * std::max(timing.resend_interval, timing.evaluation_interval);
  for (auto& [labels, a] : alerts_) {
    if (a.state == AlertState::kPending) continue;
    const bool resolved_since_sent = a.state == AlertState::kInactive && a.resolved_at > a.last_sent_at;
    const bool resend_due = a.last_sent_at + timing.resend_interval < now;
    if (!resolved_since_sent && !resend_due) continue;
    Notification n;
    if (resolved_since_sent) {
      n.reason = NotificationReason::kResolved;
    } else if (a.state == AlertState::kFiring && a.last_sent_at < a.fired_at) {
      n.reason = NotificationReason::kFired;
    } else {
      n.reason = NotificationReason::kResent;
    }
    a.last_sent_at = now;
    if (a.state == AlertState::kInactive) {
      n.ends_at = a.resolved_at;
    } else {
      a.valid_until = now + validity;
      n.ends_at = a.valid_until;
    }
    n.starts_at = a.fired_at;
    n.alert = a;
    out.push_back(std::move(n));
  }
}

void RuleState::append_active(std::vector<Alert>& out) const {
  for (const auto& [labels, a] : alerts_) {
    if (a.state != AlertState::kInactive) out.push_back(a);
  }
}

void RuleState::restore(Alert alert) {
  Labels key = alert.labels;
  alerts_.insert_or_assign(std::move(key), std::move(alert));
  render_all_ = true;
}

}  // namespace logpulse::alert
