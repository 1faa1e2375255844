#include "alert/alert_rule.h"

#include <algorithm>

namespace logpulse::alert {

AlertRule AlertRule::compile(const RuleDefinition& d, const std::vector<WindowShape>& windows) {
  AlertRule rule{d.name,
                 Expr::parse(d.expr, d.expr_at, windows),
                 d.for_duration,
                 d.keep_firing_for,
                 merge_labels(sorted_labels(d.labels), {{"alertname", d.name}}),
                 {}};
  for (const auto& a : d.annotations) {
    rule.annotations.emplace_back(a.name, AnnotationTemplate::parse(a.text, a.at));
  }
  std::stable_sort(rule.annotations.begin(), rule.annotations.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  return rule;
}

}  // namespace logpulse::alert
