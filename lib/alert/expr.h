// Expr: an alert rule's `expr`, parsed once into a tree and evaluated on the windows'
// current values at each evaluation.
//
//   Expr e = Expr::parse("http_5xx_1m / http_requests_1m > 0.05", at, windows);
//   Vector firing = e.evaluate([&](const WindowRef& w) { return values_of(w); });
//
// Grammar: exactly one comparison (> < >= <= == !=) at the top, between two arithmetic
// operands: numbers (1, 0.5, .5, 1e3, 2.5E-3), window names, + - * /, unary minus (and
// plus), parentheses. A quantile window is referenced with the selector of the series it
// exports, `http_latency_5m{quantile="0.99"}` (the quantile compared as a number). parse()
// throws DefinitionError naming FILE:LINE:COLUMN of the offending character for a syntax
// error, an unknown window, a quantile window without (or another window with) a selector,
// and two windows with different `by` labels.
//
// Evaluation follows PromQL: windows are matched label set to label set (a set missing on
// one side yields no sample); a number applies to every sample; an expression without
// windows yields one sample with no labels; a division by zero yields no sample. The
// comparison keeps the samples for which it holds, with the value of its left side (or of
// the right side when the left is a plain number and the right is not, as PromQL keeps the
// vector's value): that is `$value`. The samples of a quantile window carry the window's
// `by` labels only, not `quantile`.
//
// An Expr is immutable after parse(): evaluate() may run on any thread, concurrently.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/definition_error.h"
#include "alert/labels.h"

namespace logpulse::alert {

// What the parser knows of a configured window.
struct WindowShape {
  std::string name;
  std::vector<std::string> by;    // grouping labels
  std::vector<double> quantiles;  // non-empty: a quantile window
};

// One series of values an expression reads: a window, and for a quantile window which
// quantile.
struct WindowRef {
  std::string name;
  std::optional<double> quantile;
  bool operator==(const WindowRef&) const = default;
};

// The current values of `ref` keyed by `by` label set, or nullptr when the window has none.
// The pointer need only stay valid during the evaluate() call.
using WindowLookup = std::function<const Vector*(const WindowRef& ref)>;

enum class Comparison { kGreater, kLess, kGreaterEqual, kLessEqual, kEqual, kNotEqual };

class Expr {
 public:
  static Expr parse(std::string_view text, const ScalarPosition& at, const std::vector<WindowShape>& windows);

  Expr(Expr&&) noexcept;
  Expr& operator=(Expr&&) noexcept;
  ~Expr();

  // The samples for which the comparison holds, each with `$value`. Never throws.
  Vector evaluate(const WindowLookup& lookup) const;

  // The windows this expression reads, each once, in order of first appearance.
  const std::vector<WindowRef>& references() const { return references_; }
  // The `by` labels shared by the referenced windows (empty without windows).
  const std::vector<std::string>& by() const { return by_; }
  const std::string& text() const { return text_; }

  struct Node;

 private:
  Expr();

  std::string text_;
  std::vector<WindowRef> references_;
  std::vector<std::string> by_;
  Comparison comparison_ = Comparison::kGreater;
  std::unique_ptr<Node> left_;
  std::unique_ptr<Node> right_;
};

}  // namespace logpulse::alert
