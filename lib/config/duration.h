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

namespace duration_limits {
using std::chrono::milliseconds;
inline constexpr milliseconds kSecond{1000};
inline constexpr milliseconds kHour{3'600'000};
inline constexpr milliseconds kDay{86'400'000};
}  // namespace duration_limits

inline constexpr DurationRange kCheckpointIntervalRange{std::chrono::milliseconds{100}, duration_limits::kDay};
inline constexpr DurationRange kPollIntervalRange{std::chrono::milliseconds{10}, duration_limits::kHour};
inline constexpr DurationRange kRescanIntervalRange{std::chrono::milliseconds{10}, duration_limits::kHour};
inline constexpr DurationRange kRotateWaitRange{std::chrono::milliseconds{0}, duration_limits::kDay, true};
inline constexpr DurationRange kMultilineTimeoutRange{std::chrono::milliseconds{10}, duration_limits::kHour};
inline constexpr DurationRange kExpireAfterRange{duration_limits::kSecond, duration_limits::kDay * 365, true};
// A summary's quantile window: prometheus-cpp rotates 5 age buckets every max_age / 5, in
// a loop that never ends at zero; 106752d overflows its nanosecond clock. A week is ample.
inline constexpr DurationRange kSummaryMaxAgeRange{duration_limits::kSecond, duration_limits::kDay * 7};
// A window's span: its ring holds a fixed number of buckets, so any span costs the same
// memory; beyond a month a restart or a reload is the likelier end of the data anyway.
inline constexpr DurationRange kWindowOverRange{duration_limits::kSecond, duration_limits::kDay * 30};
// An alert's `for` and `keep_firing_for`: 0s fires (or resolves) at once.
inline constexpr DurationRange kAlertHoldRange{std::chrono::milliseconds{0}, duration_limits::kDay * 30};
inline constexpr DurationRange kResendIntervalRange{duration_limits::kSecond, duration_limits::kDay};
inline constexpr DurationRange kAlertmanagerTimeoutRange{std::chrono::milliseconds{100}, std::chrono::milliseconds{300'000}};
inline constexpr DurationRange kEvaluationIntervalRange{std::chrono::milliseconds{10}, duration_limits::kHour};

inline constexpr DurationRange kWriteIntervalRange{std::chrono::milliseconds{100}, duration_limits::kHour};
inline constexpr DurationRange kRemoteTimeoutRange{std::chrono::milliseconds{100}, std::chrono::milliseconds{300'000}};

}  // namespace logpulse::config
