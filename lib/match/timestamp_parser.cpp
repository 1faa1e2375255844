#include "match/timestamp_parser.h"

#include <array>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>

namespace logpulse::match {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kNanosPerMilli = 1'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr int kFractionDigitsKept = 9;

constexpr std::array<std::string_view, 12> kMonthNames = {"january",   "february", "march",    "april",
                                                          "may",       "june",     "july",     "august",
                                                          "september", "october",  "november", "december"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"sunday",   "monday", "tuesday", "wednesday",
                                                           "thursday", "friday", "saturday"};

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_blank(char c) { return c == ' ' || c == '\t'; }
constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool is_leap_year(std::int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

constexpr int days_in_month(std::int64_t year, int month) {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
// The year is shifted to start in March so the leap day is the last day of its year.
constexpr std::int64_t days_from_civil(std::int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<std::int64_t>(year - era * 400);  // [0, 399]
  const std::int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146'097 + day_of_era - 719'468;
}

// The year part of Hinnant's civil_from_days.
constexpr std::int64_t year_from_days(std::int64_t days) {
  days += 719'468;
  const std::int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  const std::int64_t day_of_era = days - era * 146'097;  // [0, 146096]
  const std::int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t march_based_month = (5 * day_of_year + 2) / 153;  // [0, 11]
  return year_of_era + era * 400 + (march_based_month >= 10 ? 1 : 0);
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11'017);
static_assert(days_from_civil(1969, 12, 31) == -1);
static_assert(year_from_days(days_from_civil(2024, 12, 31)) == 2024);
static_assert(year_from_days(days_from_civil(2025, 1, 1)) == 2025);
static_assert(year_from_days(-1) == 1969);

int current_utc_year() {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::int64_t days = seconds >= 0 ? seconds / kSecondsPerDay : (seconds - kSecondsPerDay + 1) / kSecondsPerDay;
  return static_cast<int>(year_from_days(days));
}

// What one call has read so far; fields the layout does not name keep their defaults.
struct ParsedFields {
  int year = 0;
  int month = 1;
  int day = 1;
  int day_of_year = 0;
  int hour = 0;
  int hour12 = 12;
  int minute = 0;
  int second = 0;
  bool is_pm = false;
  std::int64_t nanos = 0;
  std::int64_t offset_seconds = 0;
  std::int64_t unix_value = 0;  // seconds or milliseconds, by mode
  bool unix_negative = false;
};

// Reads one or more digits as a fraction of a second. Digits past the ninth are consumed
// and dropped, which truncates toward zero.
bool read_fraction(const char*& p, const char* end, std::int64_t& nanos) {
  if (p == end || !is_digit(*p)) return false;
  std::int64_t value = 0;
  int digits = 0;
  for (; p != end && is_digit(*p); ++p) {
    if (digits < kFractionDigitsKept) {
      value = value * 10 + (*p - '0');
      ++digits;
    }
  }
  for (; digits < kFractionDigitsKept; ++digits) value *= 10;
  nanos = value;
  return true;
}

// Reads exactly `width` digits.
bool read_fixed(const char*& p, const char* end, int width, int& value) {
  if (end - p < width) return false;
  value = 0;
  for (int i = 0; i < width; ++i, ++p) {
    if (!is_digit(*p)) return false;
    value = value * 10 + (*p - '0');
  }
  return true;
}

// Z, z, ±hhmm or ±hh:mm.
bool read_zone_offset(const char*& p, const char* end, std::int64_t& offset_seconds) {
  if (p == end) return false;
  if (*p == 'Z' || *p == 'z') {
    ++p;
    offset_seconds = 0;
    return true;
  }
  if (*p != '+' && *p != '-') return false;
  const bool negative = *p == '-';
  ++p;
  int hours = 0;
  int minutes = 0;
  if (!read_fixed(p, end, 2, hours)) return false;
  if (p != end && *p == ':') ++p;
  if (!read_fixed(p, end, 2, minutes)) return false;
  if (hours > 23 || minutes > 59) return false;
  offset_seconds = (hours * 3600 + minutes * 60) * (negative ? -1 : 1);
  return true;
}

// Optional '-', then digits, accumulated without overflow.
bool read_signed_integer(const char*& p, const char* end, std::int64_t& magnitude, bool& negative) {
  negative = p != end && *p == '-';
  if (negative) ++p;
  if (p == end || !is_digit(*p)) return false;
  magnitude = 0;
  for (; p != end && is_digit(*p); ++p) {
    const int digit = *p - '0';
    if (magnitude > (std::numeric_limits<std::int64_t>::max() - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  return true;
}

bool starts_with_ignoring_case(const char* p, const char* end, std::string_view lower_word) {
  if (static_cast<std::size_t>(end - p) < lower_word.size()) return false;
  for (std::size_t i = 0; i < lower_word.size(); ++i) {
    if (ascii_lower(p[i]) != lower_word[i]) return false;
  }
  return true;
}

// Matches a full name or its 3-letter abbreviation; returns the index, or -1.
template <std::size_t N>
int read_name(const char*& p, const char* end, const std::array<std::string_view, N>& names) {
  for (std::size_t i = 0; i < N; ++i) {
    if (starts_with_ignoring_case(p, end, names[i])) {
      p += names[i].size();
      return static_cast<int>(i);
    }
  }
  for (std::size_t i = 0; i < N; ++i) {
    if (starts_with_ignoring_case(p, end, names[i].substr(0, 3))) {
      p += 3;
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool read_zone_name(const char*& p, const char* end) {
  const char* start = p;
  while (p != end && is_alpha(*p)) ++p;
  const auto length = static_cast<std::size_t>(p - start);
  for (std::string_view name : {std::string_view("utc"), std::string_view("gmt"), std::string_view("z")}) {
    if (length == name.size() && starts_with_ignoring_case(start, p, name)) return true;
  }
  return false;
}

// Combines a signed whole count of `unit_nanos` and a fraction into nanoseconds, or nullopt
// on int64 overflow.
std::optional<std::int64_t> checked_nanos(std::int64_t whole, std::int64_t unit_nanos, std::int64_t fraction_nanos) {
  std::int64_t scaled = 0;
  std::int64_t total = 0;
  if (__builtin_mul_overflow(whole, unit_nanos, &scaled)) return std::nullopt;
  if (__builtin_add_overflow(scaled, fraction_nanos, &total)) return std::nullopt;
  return total;
}

std::string layout_error(std::string_view layout, std::string_view what) {
  std::string message = "timestamp layout \"";
  message.append(layout);
  message.append("\": ");
  message.append(what);
  return message;
}

}  // namespace

TimestampParser::TimestampParser(std::string_view layout) {
  if (layout == "unix") {
    mode_ = Mode::kUnixSeconds;
    steps_.push_back({.kind = StepKind::kUnixSeconds});
    steps_.push_back({.kind = StepKind::kOptionalFraction, .literal = '.'});
    return;
  }
  if (layout == "unix_ms") {
    mode_ = Mode::kUnixMillis;
    steps_.push_back({.kind = StepKind::kUnixMillis});
    return;
  }
  if (layout == "rfc3339") {
    // Fixed widths here, unlike strftime's %m %d …: RFC 3339 always pads to two digits.
    add_number(Field::kYear, 4, 4, 0, 9999);
    steps_.push_back({.kind = StepKind::kLiteral, .literal = '-'});
    add_number(Field::kMonth, 2, 2, 1, 12);
    steps_.push_back({.kind = StepKind::kLiteral, .literal = '-'});
    add_number(Field::kDay, 2, 2, 1, 31);
    steps_.push_back({.kind = StepKind::kDateTimeSeparator});
    add_number(Field::kHour, 2, 2, 0, 23);
    steps_.push_back({.kind = StepKind::kLiteral, .literal = ':'});
    add_number(Field::kMinute, 2, 2, 0, 59);
    steps_.push_back({.kind = StepKind::kLiteral, .literal = ':'});
    add_number(Field::kSecond, 2, 2, 0, 60);
    steps_.push_back({.kind = StepKind::kOptionalFraction, .literal = ','});
    steps_.push_back({.kind = StepKind::kOptionalZoneOffset});
    has_year_ = has_month_ = has_day_ = true;
    return;
  }
  compile_strftime(layout);
}

void TimestampParser::add_number(Field field, int min_width, int max_width, int min_value, int max_value) {
  steps_.push_back({.kind = StepKind::kNumber,
                    .field = field,
                    .min_width = static_cast<std::uint8_t>(min_width),
                    .max_width = static_cast<std::uint8_t>(max_width),
                    .min_value = static_cast<std::int16_t>(min_value),
                    .max_value = static_cast<std::int16_t>(max_value)});
}

void TimestampParser::compile_strftime(std::string_view layout) {
  if (layout.empty()) throw std::invalid_argument(layout_error(layout, "empty layout"));
  for (std::size_t i = 0; i < layout.size(); ++i) {
    const char c = layout[i];
    if (is_blank(c)) {
      while (i + 1 < layout.size() && is_blank(layout[i + 1])) ++i;
      steps_.push_back({.kind = StepKind::kBlanks});
    } else if (c != '%') {
      steps_.push_back({.kind = StepKind::kLiteral, .literal = c});
    } else if (i + 1 == layout.size()) {
      throw std::invalid_argument(layout_error(layout, "lone '%' at the end"));
    } else {
      compile_directive(layout, layout[++i]);
    }
  }
  if (has_hour12_ != has_am_pm_) {
    throw std::invalid_argument(
        layout_error(layout, has_hour12_ ? "directive %I needs %p (AM/PM)" : "directive %p needs %I (12-hour clock)"));
  }
  if (mode_ == Mode::kCalendar && !(has_month_ && has_day_) && !has_day_of_year_) {
    throw std::invalid_argument(
        layout_error(layout, "no date: the layout needs a month and a day (%m or %b, %d or %e), %j, or %s"));
  }
}

void TimestampParser::compile_directive(std::string_view layout, char directive) {
  switch (directive) {
    case 'Y':
      add_number(Field::kYear, 4, 4, 0, 9999);
      has_year_ = true;
      return;
    case 'y':
      add_number(Field::kYearOfCentury, 2, 2, 0, 99);
      has_year_ = true;
      return;
    case 'm':
      add_number(Field::kMonth, 1, 2, 1, 12);
      has_month_ = true;
      return;
    case 'd':
      add_number(Field::kDay, 1, 2, 1, 31);
      has_day_ = true;
      return;
    case 'e':
      add_number(Field::kDay, 1, 2, 1, 31);
      steps_.back().kind = StepKind::kSpacePaddedNumber;
      has_day_ = true;
      return;
    case 'j':
      add_number(Field::kDayOfYear, 1, 3, 1, 366);
      has_day_of_year_ = true;
      return;
    case 'H': add_number(Field::kHour, 1, 2, 0, 23); return;
    case 'I':
      add_number(Field::kHour12, 1, 2, 1, 12);
      has_hour12_ = true;
      return;
    case 'M': add_number(Field::kMinute, 1, 2, 0, 59); return;
    case 'S': add_number(Field::kSecond, 1, 2, 0, 60); return;
    case 'p':
      steps_.push_back({.kind = StepKind::kAmPm});
      has_am_pm_ = true;
      return;
    case 'f': steps_.push_back({.kind = StepKind::kFraction}); return;
    case 'b':
    case 'h':
    case 'B':
      steps_.push_back({.kind = StepKind::kMonthName});
      has_month_ = true;
      return;
    case 'a':
    case 'A': steps_.push_back({.kind = StepKind::kWeekdayName}); return;
    case 'z': steps_.push_back({.kind = StepKind::kZoneOffset}); return;
    case 'Z': steps_.push_back({.kind = StepKind::kZoneName}); return;
    case 's':
      steps_.push_back({.kind = StepKind::kUnixSeconds});
      mode_ = Mode::kUnixSeconds;
      return;
    case 'T':
      compile_directive(layout, 'H');
      steps_.push_back({.kind = StepKind::kLiteral, .literal = ':'});
      compile_directive(layout, 'M');
      steps_.push_back({.kind = StepKind::kLiteral, .literal = ':'});
      compile_directive(layout, 'S');
      return;
    case 'F':
      compile_directive(layout, 'Y');
      steps_.push_back({.kind = StepKind::kLiteral, .literal = '-'});
      compile_directive(layout, 'm');
      steps_.push_back({.kind = StepKind::kLiteral, .literal = '-'});
      compile_directive(layout, 'd');
      return;
    case 'D':
      compile_directive(layout, 'm');
      steps_.push_back({.kind = StepKind::kLiteral, .literal = '/'});
      compile_directive(layout, 'd');
      steps_.push_back({.kind = StepKind::kLiteral, .literal = '/'});
      compile_directive(layout, 'y');
      return;
    case 'R':
      compile_directive(layout, 'H');
      steps_.push_back({.kind = StepKind::kLiteral, .literal = ':'});
      compile_directive(layout, 'M');
      return;
    case '%': steps_.push_back({.kind = StepKind::kLiteral, .literal = '%'}); return;
    default: {
      std::string what = "unsupported directive %";
      what.push_back(directive);
      throw std::invalid_argument(layout_error(layout, what));
    }
  }
}

std::optional<std::int64_t> TimestampParser::parse_unix_nanos(std::string_view text) const {
  return parse_unix_nanos(text, has_year() ? 0 : current_utc_year());
}

std::optional<std::int64_t> TimestampParser::parse_unix_nanos(std::string_view text, int year_if_absent) const {
  ParsedFields fields;
  fields.year = year_if_absent;
  const char* p = text.data();
  const char* const end = p + text.size();

  for (const Step& step : steps_) {
    switch (step.kind) {
      case StepKind::kLiteral:
        if (p == end || *p != step.literal) return std::nullopt;
        ++p;
        break;
      case StepKind::kBlanks:
        if (p == end || !is_blank(*p)) return std::nullopt;
        while (p != end && is_blank(*p)) ++p;
        break;
      case StepKind::kSpacePaddedNumber:
      case StepKind::kNumber: {
        if (step.kind == StepKind::kSpacePaddedNumber && p != end && *p == ' ') ++p;
        int value = 0;
        int width = 0;
        for (; width < step.max_width && p != end && is_digit(*p); ++width, ++p) value = value * 10 + (*p - '0');
        if (width < step.min_width || value < step.min_value || value > step.max_value) return std::nullopt;
        switch (step.field) {
          case Field::kYear: fields.year = value; break;
          case Field::kYearOfCentury: fields.year = value < 69 ? 2000 + value : 1900 + value; break;
          case Field::kMonth: fields.month = value; break;
          case Field::kDay: fields.day = value; break;
          case Field::kDayOfYear: fields.day_of_year = value; break;
          case Field::kHour: fields.hour = value; break;
          case Field::kHour12: fields.hour12 = value; break;
          case Field::kMinute: fields.minute = value; break;
          case Field::kSecond: fields.second = value; break;
          case Field::kNone: break;
        }
        break;
      }
      case StepKind::kFraction:
        if (!read_fraction(p, end, fields.nanos)) return std::nullopt;
        break;
      case StepKind::kOptionalFraction:
        if (p != end && (*p == '.' || *p == step.literal)) {
          ++p;
          if (!read_fraction(p, end, fields.nanos)) return std::nullopt;
        }
        break;
      case StepKind::kMonthName: {
        const int month = read_name(p, end, kMonthNames);
        if (month < 0) return std::nullopt;
        fields.month = month + 1;
        break;
      }
      case StepKind::kWeekdayName:
        if (read_name(p, end, kWeekdayNames) < 0) return std::nullopt;
        break;
      case StepKind::kAmPm:
        if (starts_with_ignoring_case(p, end, "am")) {
          fields.is_pm = false;
        } else if (starts_with_ignoring_case(p, end, "pm")) {
          fields.is_pm = true;
        } else {
          return std::nullopt;
        }
        p += 2;
        break;
      case StepKind::kZoneOffset:
        if (!read_zone_offset(p, end, fields.offset_seconds)) return std::nullopt;
        break;
      case StepKind::kOptionalZoneOffset:
        if (p != end && !read_zone_offset(p, end, fields.offset_seconds)) return std::nullopt;
        break;
      case StepKind::kZoneName:
        if (!read_zone_name(p, end)) return std::nullopt;
        break;
      case StepKind::kDateTimeSeparator:
        if (p == end || (*p != 'T' && *p != 't' && *p != ' ')) return std::nullopt;
        ++p;
        break;
      case StepKind::kUnixSeconds:
      case StepKind::kUnixMillis:
        if (!read_signed_integer(p, end, fields.unix_value, fields.unix_negative)) return std::nullopt;
        break;
    }
  }
  if (p != end) return std::nullopt;

  if (mode_ == Mode::kUnixSeconds || mode_ == Mode::kUnixMillis) {
    const std::int64_t unit = mode_ == Mode::kUnixSeconds ? kNanosPerSecond : kNanosPerMilli;
    const auto magnitude = checked_nanos(fields.unix_value, unit, fields.nanos);
    if (!magnitude) return std::nullopt;
    return fields.unix_negative ? -*magnitude : *magnitude;
  }

  std::int64_t days = 0;
  if (has_month_ && has_day_) {
    if (fields.day > days_in_month(fields.year, fields.month)) return std::nullopt;
    days = days_from_civil(fields.year, fields.month, fields.day);
    if (has_day_of_year_ && days - days_from_civil(fields.year, 1, 1) + 1 != fields.day_of_year) return std::nullopt;
  } else {
    if (fields.day_of_year > (is_leap_year(fields.year) ? 366 : 365)) return std::nullopt;
    days = days_from_civil(fields.year, 1, 1) + fields.day_of_year - 1;
  }
  const int hour = has_hour12_ ? fields.hour12 % 12 + (fields.is_pm ? 12 : 0) : fields.hour;
  const std::int64_t seconds =
      days * kSecondsPerDay + hour * 3600 + fields.minute * 60 + fields.second - fields.offset_seconds;
  return checked_nanos(seconds, kNanosPerSecond, fields.nanos);
}

}  // namespace logpulse::match
