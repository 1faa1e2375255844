#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "alert/annotation_template.h"
#include "alert/value_format.h"

using namespace logpulse::alert;

namespace {

ScalarPosition at(ScalarStyle style = ScalarStyle::kDoubleQuoted) { return {"c.yaml", 12, 20, style}; }

std::string render(std::string_view text, double value) {
  const Labels labels = sorted_labels({{"status", "500"}, {"method", "GET"}});
  return AnnotationTemplate::parse(text, at()).render(labels, value);
}

std::string template_error(std::string_view text) {
  try {
    AnnotationTemplate::parse(text, at());
  } catch (const DefinitionError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("alert template: $value, $labels and printf render like Prometheus") {
  CHECK(render("5xx rate is {{ $value }} per second", 6.5) == "5xx rate is 6.5 per second");
  CHECK(render("{{$value}}", 1e6) == "1e+06");
  CHECK(render("{{ $labels.method }} {{ $labels.status }}: {{ .Value }}", 3) == "GET 500: 3");
  CHECK(render("[{{ $labels.absent }}]", 3) == "[]");
  CHECK(render("{{ .Labels.status }}", 0) == "500");
  CHECK(render("{{ $value | printf \"%.2f\" }}%", 0.123456) == "0.12%");
  CHECK(render("{{ printf \"%.1f%%\" $value }}", 99.95) == "100.0%");
  CHECK(render("{{ printf `%5.1e` $value }}", 12345) == "1.2e+04");
  CHECK(render("{{ $value | printf \"%v\" }}", 0.25) == "0.25");
  CHECK(render("no actions at all", 1) == "no actions at all");
  CHECK(render("} { }} {", 1) == "} { }} {");
  CHECK(render("{{ $value }}", std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(render("{{ $value | printf \"%.2f\" }}", std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(render("{{ printf \"[%.2f%%]\" $value }}", std::numeric_limits<double>::quiet_NaN()) == "[NaN%]");
  CHECK(render("{{ printf \"%g/s\" $value }}", 1234567) == "1.234567e+06/s");
  CHECK(render("{{ printf \"%.3g/s\" $value }}", 1234567) == "1.23e+06/s");
  CHECK(render("{{ printf \"%%d %f\" $value }}", 2) == "%d 2.000000");
}

TEST_CASE("alert template: mistakes are configuration errors at their line and column") {
  // double-quoted scalar at 12:20: character i is at column 21 + i
  CHECK(template_error("rate {{ $value ") == "c.yaml:12:26: unclosed {{ in template: no matching }}");
  CHECK(template_error("{{ humanize $value }}") ==
        "c.yaml:12:24: unknown template function humanize: only printf is supported");
  CHECK(template_error("{{ $value | humanize }}") ==
        "c.yaml:12:33: unknown template function humanize: only printf is supported");
  CHECK(template_error("{{ $val }}") == "c.yaml:12:24: unknown template value $val: expected $value or $labels.NAME");
  CHECK(template_error("x {{ $labels. }}") ==
        "c.yaml:12:26: unknown template value $labels.: expected $value or $labels.NAME");
  CHECK(template_error("{{ }}") == "c.yaml:12:21: empty template action {{ }}");
  CHECK(template_error("{{ $value | printf \"%d\" }}") ==
        "c.yaml:12:40: printf format \"%d\": a number takes one of the verbs %f %e %g %v");
  CHECK(template_error("{{ $value | printf \"%f %f\" }}") ==
        "c.yaml:12:40: printf format \"%f %f\" must format the value exactly once");
  CHECK(template_error("{{ $labels.a | printf \"%s\" }}") == "c.yaml:12:24: printf formats $value only, not a label");
  CHECK(template_error("{{ $value $value }}") == "c.yaml:12:31: unexpected $value in template action");
  CHECK(template_error("{{- $value }}") == "c.yaml:12:23: whitespace trimming {{- -}} is not supported");
  CHECK(template_error("{{ printf \"%f }}") == "c.yaml:12:31: unterminated string in template action");
}

TEST_CASE("alert value formats: Go's 'e' for the API, Go's %v for templates, RFC 3339 times") {
  CHECK(format_value_exponent(1) == "1e+00");
  CHECK(format_value_exponent(5.5) == "5.5e+00");
  CHECK(format_value_exponent(123.45) == "1.2345e+02");
  CHECK(format_value_exponent(-0.000125) == "-1.25e-04");
  CHECK(format_value_exponent(0) == "0e+00");
  CHECK(format_value_exponent(1e100) == "1e+100");
  CHECK(format_value_exponent(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value_exponent(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value_exponent(std::nan("")) == "NaN");

  CHECK(format_value_template(5) == "5");
  CHECK(format_value_template(0.25) == "0.25");
  CHECK(format_value_template(123456) == "123456");
  CHECK(format_value_template(1234567) == "1.234567e+06");
  CHECK(format_value_template(0.0001) == "0.0001");
  CHECK(format_value_template(0.00001) == "1e-05");
  CHECK(format_value_template(-2.5) == "-2.5");
  CHECK(format_value_template(100) == "100");
  CHECK(format_value_template(0.1 + 0.2) == "0.30000000000000004");

  using namespace std::chrono;
  const system_clock::time_point t{seconds(1767225600)};
  CHECK(rfc3339_nano(t) == "2026-01-01T00:00:00Z");
  CHECK(rfc3339_nano(t + milliseconds(500)) == "2026-01-01T00:00:00.5Z");
  CHECK(rfc3339_nano(t + nanoseconds(1'000'000'001)) == "2026-01-01T00:00:01.000000001Z");
  CHECK(rfc3339_millis(t) == "2026-01-01T00:00:00.000Z");
  CHECK(rfc3339_millis(t + hours(36) + milliseconds(1234)) == "2026-01-02T12:00:01.234Z");
}
