// AnnotationTemplate: an alert annotation (or any text) with Prometheus-style actions,
// parsed once at load and rendered for each alert at each evaluation.
//
//   auto t = AnnotationTemplate::parse("{{ $labels.status }} at {{ $value }}/s", at);
//   std::string s = t.render(labels, 6.5);        // "500 at 6.5/s"
//
// Actions: {{ $value }} (printed as Go prints a float64: 6.5, 1e+06), {{ $labels.NAME }}
// (empty when the label is absent, as Prometheus renders it), the aliases .Value and
// .Labels.NAME, and printf on the value: {{ $value | printf "%.2f" }} or
// {{ printf "%.2f" $value }}, with one verb among f e g v (flags, width, precision as in
// C; %% for a percent sign; a bare %v or %g prints as {{ $value }}; NaN and infinities
// always print as Go does: NaN, +Inf, -Inf). Anything else (an unknown function or variable, `{{` without
// `}}`, a bad printf format) throws DefinitionError naming FILE:LINE:COLUMN at load.
// $labels holds the expression sample's labels (the windows' `by` labels), not the rule's
// own `labels`, as in Prometheus. Immutable after parse(): render() is safe concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "alert/definition_error.h"
#include "alert/labels.h"

namespace logpulse::alert {

class AnnotationTemplate {
 public:
  static AnnotationTemplate parse(std::string_view text, const ScalarPosition& at);

  // Never throws.
  std::string render(const Labels& labels, double value) const;

  const std::string& text() const { return text_; }

 private:
  enum class Kind { kText, kValue, kLabel };
  struct Piece {
    Kind kind = Kind::kText;
    std::string text;        // kText: the text; kLabel: the label name; kValue: printf's text before
    std::string conversion;  // kValue: one C double conversion ("%.2f"); empty: Go's %v
    std::string after;       // kValue: printf's text after the conversion
  };

  std::string text_;
  std::vector<Piece> pieces_;
};

}  // namespace logpulse::alert
