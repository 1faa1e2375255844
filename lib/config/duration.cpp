#include "config/duration.h"

#include <cctype>
#include <cstdint>
#include <limits>

namespace logpulse::config {

namespace {
// No single term may exceed this (about 100 years): beyond it the sum saturates.
constexpr std::int64_t kTermLimitMs = 100LL * 365 * 86'400'000;
}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total_ms = 0;
  bool saturated = false;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    std::int64_t number = 0;
    bool number_too_large = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (number > kTermLimitMs)
        number_too_large = true;  // keep reading the digits
      else
        number = number * 10 + (text[i] - '0');
      ++i;
    }
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    std::int64_t scale;
    if (unit == "ms")
      scale = 1;
    else if (unit == "s")
      scale = 1000;
    else if (unit == "m")
      scale = 60'000;
    else if (unit == "h")
      scale = 3'600'000;
    else if (unit == "d")
      scale = 86'400'000;
    else
      return std::nullopt;
    // number <= kTermLimitMs * 10 + 9 and scale <= 8.64e7 could still overflow: compare first.
    if (saturated || number_too_large || number > kTermLimitMs / scale) {
      saturated = true;  // and nothing more is added, however many terms follow
      continue;
    }
    total_ms += number * scale;  // both <= kTermLimitMs: no overflow
    if (total_ms > kTermLimitMs) saturated = true;
  }
  if (saturated) return std::chrono::milliseconds::max();
  return std::chrono::milliseconds(total_ms);
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  static constexpr std::pair<std::int64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  std::string out;
  for (const auto& [scale, unit] : kUnits) {
    if (ms >= scale) {
      out += std::to_string(ms / scale) + unit;
      ms %= scale;
    }
  }
  return out;
}

std::string DurationRange::expected(std::string_view zero_means) const {
  std::string out = "expected " + format_duration(min) + " .. " + format_duration(max);
  if (zero_allowed && min.count() > 0) out += ", or 0s for " + std::string(zero_means);
  return out;
}

}  // namespace logpulse::config
