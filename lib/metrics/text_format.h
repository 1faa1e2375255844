// Prometheus text exposition format 0.0.4 for prometheus-cpp MetricFamily values, written
// into a string. Numbers are printed in the shortest form that reads back as the same double
// (std::to_chars), so every finite value stays finite for a scraper (prometheus-cpp prints
// 15 digits: DBL_MAX became 1.797693134862316e+308, which no parser reads); infinities and
// NaN are spelled +Inf, -Inf and NaN. HELP text escapes \ and newline; label values escape
// \, " and newline. Pure functions, safe for concurrent use.
//
//   std::string text;
//   metrics::append_text(text, registry.Collect());
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace logpulse::metrics {

// Appends every family: "# HELP" (when there is help), "# TYPE", then its samples, in the
// order prometheus-cpp wrote them (histograms: _count, _sum, then the _bucket lines).
void append_text(std::string& out, const std::vector<prometheus::MetricFamily>& families);

// Appends one sample value: shortest round-trip decimal, or +Inf, -Inf, NaN.
void append_value(std::string& out, double value);

}  // namespace logpulse::metrics
