// How alert values and times are written where Prometheus' output is the reference:
// the API's "value" string, `{{ $value }}` in templates, and RFC 3339 times.
// Pure functions, safe for concurrent use.
#pragma once

#include <chrono>
#include <string>

namespace logpulse::alert {

// Go's strconv.FormatFloat(v, 'e', -1, 64), as /api/v1/alerts writes "value":
// the shortest digits that read back exactly, "1e+00", "5.5e+00", "-1.25e-07", "NaN", "+Inf".
std::string format_value_exponent(double v);

// Go's fmt "%v" of a float64, as `{{ $value }}` prints: the shortest digits, in plain
// notation unless the decimal exponent is < -4 or >= 6: "5", "0.25", "123456", "1e+06",
// "1.5e-05", "NaN", "+Inf".
std::string format_value_template(double v);

// RFC 3339 in UTC with nanoseconds, trailing zeros (and the dot) dropped, like Go's
// time.Time JSON: "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z".
std::string rfc3339_nano(std::chrono::system_clock::time_point t);

// RFC 3339 in UTC with exactly three fraction digits, like the Alertmanager v2 API's
// strfmt.DateTime: "2026-01-01T00:00:00.000Z".
std::string rfc3339_millis(std::chrono::system_clock::time_point t);

}  // namespace logpulse::alert
