// AlertRule: one `alerts:` entry compiled once at load: its parsed expression, durations,
// labels and annotation templates. RuleDefinition is what the configuration loader fills
// in (scalars with their positions); compile() checks it against the configured windows and
// throws DefinitionError naming FILE:LINE:COLUMN. Immutable after compile(): safe to read
// from any thread.
//
//   AlertRule rule = AlertRule::compile(definition, window_shapes);
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "alert/annotation_template.h"
#include "alert/definition_error.h"
#include "alert/expr.h"
#include "alert/labels.h"

namespace logpulse::alert {

struct RuleDefinition {
  struct Annotation {
    std::string name;
    std::string text;
    ScalarPosition at;  // of the annotation's value scalar
  };

  std::string name;
  std::string expr;
  ScalarPosition expr_at;  // of the expr value scalar
  std::chrono::milliseconds for_duration{0};
  std::chrono::milliseconds keep_firing_for{0};
  Labels labels;  // the rule's `labels`, any order
  std::vector<Annotation> annotations;
};

struct AlertRule {
  std::string name;
  Expr expr;
  std::chrono::milliseconds for_duration{0};
  std::chrono::milliseconds keep_firing_for{0};
  Labels labels;  // sorted: the rule's `labels` plus alertname=name, which wins
  std::vector<std::pair<std::string, AnnotationTemplate>> annotations;  // sorted by name

  static AlertRule compile(const RuleDefinition& definition, const std::vector<WindowShape>& windows);
};

}  // namespace logpulse::alert
