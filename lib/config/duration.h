// Parsing of configuration durations: "250ms", "5s", "1m", "2h", "1d", and sums such as
// "1m30s", and the range each duration key accepts. Pure functions, safe for concurrent use.
//
//   auto d = parse_duration("1m30s");                       // 90s
//   if (!kPollIntervalRange.contains(*d)) ...               // "expected 10ms .. 1h"
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace logpulse::config {

// Returns the duration, or nullopt when `text` is not a sum of <integer><unit> terms with
// units ms, s, m, h, d. "0s" is accepted (zero). A sum too large for milliseconds (or any
// term beyond 100 years) saturates at milliseconds::max(), which every range below refuses:
// the parse itself never overflows.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "1d", "1h30m", "250ms": the shortest text parse_duration reads back as `d` (d >= 0).
std::string format_duration(std::chrono::milliseconds d);

// The values a duration key accepts: [min, max], and zero too when `zero_allowed` (where
// zero means "off", e.g. expire_after: 0s never expires).
struct DurationRange {
  std::chrono::milliseconds min;
  std::chrono::milliseconds max;
  bool zero_allowed = false;

  bool contains(std::chrono::milliseconds d) const {
    return (zero_allowed && d.count() == 0) || (d >= min && d <= max);
  }
  // "expected 10ms .. 1h" (", or 0s for never" when zero is allowed), for messages.
  std::string expected(std::string_view zero_means = "off") const;
};

using namespace std::chrono_literals;
inline constexpr DurationRange kCheckpointIntervalRange{100ms, 24h};
inline constexpr DurationRange kPollIntervalRange{10ms, 1h};
inline constexpr DurationRange kRescanIntervalRange{10ms, 1h};
inline constexpr DurationRange kRotateWaitRange{0ms, 24h, true};
inline constexpr DurationRange kMultilineTimeoutRange{10ms, 1h};
inline constexpr DurationRange kExpireAfterRange{1s, 24h * 365, true};
// A summary's quantile window: prometheus-cpp rotates 5 age buckets every max_age / 5; at
// zero that rotation never ends, and far beyond a day its nanosecond clock overflows.
inline constexpr DurationRange kSummaryMaxAgeRange{1s, 24h * 7};

}  // namespace logpulse::config
