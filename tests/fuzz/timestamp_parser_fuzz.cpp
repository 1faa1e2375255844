// Fuzzes match::TimestampParser: layout compilation and parsing.
// Input: a selector byte; selectors below the number of common layouts pick one of them
// (so the fuzzer spends its time on texts), others are followed by the layout up to the
// first '\n'. The rest is the text.
// Invariants: the only exception from the constructor is std::invalid_argument; parsing
// never throws; a layout that names the year ignores year_if_absent; an rfc3339 result
// printed back as RFC 3339 parses to the same instant.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>

#include "fuzz_check.h"
#include "match/timestamp_parser.h"

namespace {

constexpr const char* kLayouts[] = {
    "%d/%b/%Y:%H:%M:%S %z", "rfc3339",           "unix", "unix_ms", "%b %e %H:%M:%S",
    "%Y-%m-%d %H:%M:%S,%f", "%Y-%m-%dT%H:%M:%S%z", "%s",   "%D %I:%M %p %Z", "%y%j %T.%f",
};
constexpr std::size_t kLayoutCount = sizeof kLayouts / sizeof kLayouts[0];

// nanos as "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ".
std::string rfc3339(std::int64_t nanos) {
  std::int64_t seconds = nanos / 1'000'000'000;
  std::int64_t fraction = nanos % 1'000'000'000;
  if (fraction < 0) fraction += 1'000'000'000, --seconds;
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRId64 "Z", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  std::string layout;
  if (bytes[0] < kLayoutCount) {
    layout = kLayouts[bytes[0]];
  } else {
    const std::size_t newline = std::min(rest.find('\n'), rest.size());
    layout = rest.substr(0, newline);
    rest.remove_prefix(std::min(newline + 1, rest.size()));
  }
  const std::string text(rest);

  std::optional<logpulse::match::TimestampParser> parser;
  try {
    parser.emplace(layout);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const auto in_2024 = parser->parse_unix_nanos(text, 2024);
  const auto in_1999 = parser->parse_unix_nanos(text, 1999);
  std::ignore = parser->parse_unix_nanos(text);
  if (parser->has_year()) FUZZ_CHECK(in_2024 == in_1999, "a layout with a year ignores year_if_absent");
  if (layout == "rfc3339" && in_2024) {
    const auto again = parser->parse_unix_nanos(rfc3339(*in_2024), 2024);
    FUZZ_CHECK(again == in_2024, "an instant printed as RFC 3339 parses back to itself");
  }
  return 0;
}
