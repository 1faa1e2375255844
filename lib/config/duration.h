// Parsing of configuration durations: "250ms", "5s", "1m", "2h", "1d", and sums such as
// "1m30s". Pure functions, safe for concurrent use.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace logpulse::config {

// Returns the duration, or nullopt when `text` is not a positive sum of <integer><unit>
// terms with units ms, s, m, h, d. "0s" is accepted (zero).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace logpulse::config
