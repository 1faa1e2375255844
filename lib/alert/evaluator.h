// Evaluator: every alert rule and its alerts; one evaluate() per evaluation_interval reads
// the windows, moves the alerts (see rule_state.h) and returns what to send to Alertmanager.
//
//   Evaluator evaluator(std::move(rules), {resend_interval, evaluation_interval}, clock);
//   evaluator.restore(decode_alert_checkpoint(lines).alerts);   // after a restart
//   for (auto& n : evaluator.evaluate(lookup)) delivery.enqueue(n);
//   http_snapshot.publish(evaluator.active_alerts());
//   checkpoint.alerts = encode_alert_checkpoint(evaluator.save());
//
// Time is read from the injected clock's wall() at each evaluate(). Not thread safe: one
// thread (the evaluation timer's) calls everything; what it returns are copies, which may
// be handed to other threads (HTTP, delivery).
#pragma once

#include <string>
#include <vector>

#include "alert/alert_rule.h"
#include "alert/expr.h"
#include "alert/rule_state.h"
#include "core/clock.h"

namespace logpulse::alert {

// An alert with the rule it belongs to: the checkpoint's unit.
struct SavedAlert {
  std::string rule;
  Alert alert;
};

class Evaluator {
 public:
  Evaluator(std::vector<AlertRule> rules, DeliveryTiming timing, const core::Clock& clock);
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Evaluates every rule at clock.wall(). Never throws (but bad_alloc).
  std::vector<Notification> evaluate(const WindowLookup& lookup);

  // Pending and firing alerts of every rule, in rule order then by labels.
  std::vector<Alert> active_alerts() const;

  std::vector<SavedAlert> save() const;
  // Puts saved alerts back under their rules; alerts of rules no longer configured are
  // dropped (and counted in the return value). Call before the first evaluate().
  std::size_t restore(const std::vector<SavedAlert>& saved);

  const std::vector<AlertRule>& rules() const { return rules_; }

 private:
  std::vector<AlertRule> rules_;
  std::vector<RuleState> states_;  // parallel to rules_
  DeliveryTiming timing_;
  const core::Clock& clock_;
};

}  // namespace logpulse::alert
