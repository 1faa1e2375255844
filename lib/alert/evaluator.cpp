#include "alert/evaluator.h"

namespace logpulse::alert {

Evaluator::Evaluator(std::vector<AlertRule> rules, DeliveryTiming timing, const core::Clock& clock)
    : rules_(std::move(rules)), states_(rules_.size()), timing_(timing), clock_(clock) {}

std::vector<Notification> Evaluator::evaluate(const WindowLookup& lookup) {
  const WallTime now = clock_.wall();
  std::vector<Notification> out;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const Vector samples = rules_[i].expr.evaluate(lookup);
    states_[i].evaluate(rules_[i], samples, now, timing_, out);
  }
  return out;
}

std::vector<Alert> Evaluator::active_alerts() const {
  std::vector<Alert> out;
  for (const auto& state : states_) state.append_active(out);
  return out;
}

std::vector<SavedAlert> Evaluator::save() const {
  std::vector<SavedAlert> out;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    for (const auto& [labels, alert] : states_[i].alerts()) out.push_back({rules_[i].name, alert});
  }
  return out;
}

std::size_t Evaluator::restore(const std::vector<SavedAlert>& saved) {
  std::size_t dropped = 0;
  for (const auto& s : saved) {
    std::size_t i = 0;
    while (i < rules_.size() && rules_[i].name != s.rule) ++i;
    if (i == rules_.size()) {
      ++dropped;
      continue;
    }
    states_[i].restore(s.alert);
  }
  return dropped;
}

}  // namespace logpulse::alert
