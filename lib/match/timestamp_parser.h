// TimestampParser: turns a captured event-time text into nanoseconds since the Unix epoch
// (UTC), per a layout compiled once.
//
//   TimestampParser parser("%d/%b/%Y:%H:%M:%S %z");                // throws on a bad layout
//   auto nanos = parser.parse_unix_nanos("25/Nov/2024:00:00:00 +0000");  // nullopt: no fit
//
// Per call: no allocation, no locale, no exceptions, no syscalls (a layout without a year
// reads the realtime clock, which Linux serves from the vDSO). Immutable after
// construction; safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace logpulse::match {

class TimestampParser {
 public:
  // layout is one of
  //   "unix"     seconds, optional '-' and optional ".fraction" (up to 9 digits kept);
  //   "unix_ms"  integer milliseconds, optional '-';
  //   "rfc3339"  RFC 3339 / ISO 8601: YYYY-MM-DD, 'T', 't' or ' ', hh:mm:ss, optional
  //              fraction after '.' or ',', optional zone Z/z, ±hh:mm or ±hhmm (none: UTC);
  //   otherwise a strftime-style layout:
  //     %Y 4-digit year   %y 2-digit year (69-99 → 19xx, 00-68 → 20xx)
  //     %m %d %H %M %S %I 1 or 2 digits (as strptime)   %e day, optional leading space
  //     %j day of year, 1-3 digits   %p AM/PM (needs %I, and %I needs %p)
  //     %f fraction digits: 1-9 kept, further digits consumed and dropped (as Go does)
  //     %b %h %B English month name, full or 3-letter, case-insensitive
  //     %a %A English weekday name, full or 3-letter, case-insensitive; not checked
  //     %z Z, z, ±hhmm or ±hh:mm   %Z UTC, GMT or Z (case-insensitive); any other name fails
  //     %s unix seconds (optional '-'); with %s every other field but %f is ignored
  //     %T = %H:%M:%S   %F = %Y-%m-%d   %D = %m/%d/%y   %R = %H:%M   %% a literal '%'
  //   A run of spaces or tabs in the layout matches one or more spaces or tabs; any other
  //   character matches itself. No zone directive means UTC. No %Y/%y means the current UTC
  //   year. Second 60 (a leap second) is accepted and lands on the next minute.
  // Throws std::invalid_argument naming the bad directive for an unsupported directive, a
  // trailing lone '%', an empty layout, %I without %p (or the reverse), or a layout that
  // cannot give a date (it needs month and day, %j, or %s).
  explicit TimestampParser(std::string_view layout);

  // nullopt when `text` does not fit the layout: wrong or missing digits, a field out of
  // range (Feb 29 outside leap years included), trailing text, or a result outside the
  // int64 nanosecond range (years 1678-2261 are safe).
  std::optional<std::int64_t> parse_unix_nanos(std::string_view text) const;

  // As above, but a layout without a year uses `year_if_absent` instead of the current UTC
  // year: for callers that take time from an injected clock, or that want to put a
  // December line read in January into the previous year.
  std::optional<std::int64_t> parse_unix_nanos(std::string_view text, int year_if_absent) const;

  // True when the layout names the year (%Y, %y, %F, %D) or is absolute (%s, unix, unix_ms,
  // rfc3339), so the current year is never consulted.
  bool has_year() const { return has_year_ || mode_ != Mode::kCalendar; }

 private:
  enum class Mode : std::uint8_t { kCalendar, kUnixSeconds, kUnixMillis };

  enum class StepKind : std::uint8_t {
    kLiteral,            // `literal`, exactly
    kBlanks,             // one or more spaces or tabs
    kNumber,             // min_width..max_width digits into `field`, min_value..max_value
    kSpacePaddedNumber,  // kNumber after an optional single space (%e)
    kFraction,           // one or more digits (%f)
    kOptionalFraction,   // nothing, or '.' (or ',' when `literal` is ',') and digits
    kMonthName,
    kWeekdayName,
    kAmPm,
    kZoneOffset,          // Z, z, ±hhmm, ±hh:mm
    kOptionalZoneOffset,  // nothing, or as kZoneOffset
    kZoneName,            // UTC, GMT, Z
    kDateTimeSeparator,   // 'T', 't' or ' '
    kUnixSeconds,         // optional '-', digits
    kUnixMillis,          // optional '-', digits
  };

  enum class Field : std::uint8_t {
    kNone,
    kYear,
    kYearOfCentury,
    kMonth,
    kDay,
    kDayOfYear,
    kHour,
    kHour12,
    kMinute,
    kSecond,
  };

  struct Step {
    StepKind kind = StepKind::kLiteral;
    Field field = Field::kNone;
    char literal = 0;
    std::uint8_t min_width = 0;
    std::uint8_t max_width = 0;
    std::int16_t min_value = 0;
    std::int16_t max_value = 0;
  };

  void compile_strftime(std::string_view layout);
  void compile_directive(std::string_view layout, char directive);
  void add_number(Field field, int min_width, int max_width, int min_value, int max_value);

  std::vector<Step> steps_;
  Mode mode_ = Mode::kCalendar;
  bool has_year_ = false;
  bool has_month_ = false;
  bool has_day_ = false;
  bool has_day_of_year_ = false;
  bool has_hour12_ = false;
  bool has_am_pm_ = false;
};

}  // namespace logpulse::match
