#include "match/timestamp_parser.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

using logpulse::match::TimestampParser;

// Expected values come from `date -u -d '…' +%s` and Python's datetime, not from the parser's
// own arithmetic.
namespace {
constexpr std::int64_t kNanos = 1'000'000'000;

std::optional<std::int64_t> at_second(std::int64_t s) { return s * kNanos; }

std::optional<std::int64_t> parse(std::string_view layout, std::string_view text) {
  return TimestampParser(layout).parse_unix_nanos(text);
}

// The layout's complaint, or "" when it compiled.
std::string layout_error(std::string_view layout) {
  try {
    TimestampParser parser(layout);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}
}  // namespace

TEST_CASE("timestamp: nginx $time_local layout, with UTC and non-UTC offsets") {
  const TimestampParser nginx("%d/%b/%Y:%H:%M:%S %z");
  CHECK(nginx.parse_unix_nanos("25/Nov/2024:00:00:00 +0000") == at_second(1732492800));
  CHECK(nginx.parse_unix_nanos("25/Nov/2024:00:00:00 +0530") == at_second(1732473000));
  CHECK(nginx.parse_unix_nanos("25/Nov/2024:00:00:00 -0800") == at_second(1732521600));
  CHECK(nginx.parse_unix_nanos("25/Nov/2024:00:00:00 +05:30") == at_second(1732473000));
  CHECK(nginx.parse_unix_nanos("25/nov/2024:00:00:00 Z") == at_second(1732492800));
  CHECK(nginx.parse_unix_nanos("25/Nov/2024:00:00:00 +0000 ") == std::nullopt);
  CHECK(nginx.parse_unix_nanos("25/Nov/2024:00:00:00 +000") == std::nullopt);
  CHECK(nginx.parse_unix_nanos("25/Nov/2024:00:00:00") == std::nullopt);
  CHECK(nginx.parse_unix_nanos("25/Nov/2024:00:00:00 +2400") == std::nullopt);
  CHECK(nginx.parse_unix_nanos("25/Nox/2024:00:00:00 +0000") == std::nullopt);
  CHECK(nginx.parse_unix_nanos("25/Nov/24:00:00:00 +0000") == std::nullopt);
  CHECK(nginx.parse_unix_nanos("") == std::nullopt);
  CHECK(nginx.has_year());
}

TEST_CASE("timestamp: syslog layout without a year uses the current UTC year") {
  const TimestampParser syslog("%b %e %H:%M:%S");
  CHECK_FALSE(syslog.has_year());
  // Computed with <chrono>'s calendar, independently of the parser's own.
  using namespace std::chrono;
  const year_month_day today{floor<days>(system_clock::now())};
  const auto expected = [&](unsigned day, int h, int m, int s) {
    const sys_seconds t = sys_days{today.year() / November / day} + hours(h) + minutes(m) + seconds(s);
    return std::optional<std::int64_t>(t.time_since_epoch().count() * kNanos);
  };
  const auto parsed = syslog.parse_unix_nanos("Nov  5 13:45:01");
  // A run that straddles New Year between the clock reads cannot know the year: skip it.
  const year_month_day after{floor<days>(system_clock::now())};
  if (after.year() == today.year()) CHECK(parsed == expected(5, 13, 45, 1));
  CHECK(syslog.parse_unix_nanos("Nov 15 13:45:01").has_value());
  CHECK(syslog.parse_unix_nanos("Nov 5 13:45:01").has_value());

  // An explicit year (from an injected clock) replaces the current one.
  CHECK(syslog.parse_unix_nanos("Nov  5 13:45:01", 2023) == at_second(1699191901));
  CHECK(syslog.parse_unix_nanos("Feb 29 00:00:00", 2024) == at_second(1709164800));
  CHECK(syslog.parse_unix_nanos("Feb 29 00:00:00", 2023) == std::nullopt);
  CHECK(syslog.parse_unix_nanos("Nov  5 13:45:01 host", 2023) == std::nullopt);
  CHECK(syslog.parse_unix_nanos("Nov  5", 2023) == std::nullopt);
  // A layout with a year ignores year_if_absent.
  CHECK(TimestampParser("%F").parse_unix_nanos("2024-02-29", 1999) == at_second(1709164800));
}

TEST_CASE("timestamp: rfc3339 variants") {
  const TimestampParser rfc("rfc3339");
  const std::int64_t base = 1732530030;  // 2024-11-25T10:20:30Z
  CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:30Z") == at_second(base));
  CHECK(rfc.parse_unix_nanos("2024-11-25t10:20:30z") == at_second(base));
  CHECK(rfc.parse_unix_nanos("2024-11-25 10:20:30Z") == at_second(base));
  CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:30") == at_second(base));  // no zone: UTC
  CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:30+00:00") == at_second(base));
  CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:30+02:00") == at_second(1732522830));
  CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:30+0200") == at_second(1732522830));
  CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:30-05:30") == at_second(1732549830));

  SUBCASE("fractions of 1 to 9 digits") {
    std::string fraction;
    std::int64_t expected_nanos = 0;
    std::int64_t place = kNanos;
    for (int digits = 1; digits <= 9; ++digits) {
      const char digit = static_cast<char>('0' + digits);
      fraction.push_back(digit);
      place /= 10;
      expected_nanos += digits * place;
      const std::string text = "2024-11-25T10:20:30." + fraction + "Z";
      CAPTURE(text);
      CHECK(rfc.parse_unix_nanos(text) == base * kNanos + expected_nanos);
    }
    CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:30.5+02:00") == 1732522830 * kNanos + 500'000'000);
    CHECK(rfc.parse_unix_nanos("2024-11-25 10:20:30,123") == base * kNanos + 123'000'000);
    // Beyond nanoseconds: consumed and truncated, as Go does.
    CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:30.1234567899Z") == base * kNanos + 123'456'789);
  }

  SUBCASE("malformed") {
    CHECK(rfc.parse_unix_nanos("") == std::nullopt);
    CHECK(rfc.parse_unix_nanos("2024-11-25") == std::nullopt);
    CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:30.Z") == std::nullopt);
    CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:30Zjunk") == std::nullopt);
    CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:30+02") == std::nullopt);
    CHECK(rfc.parse_unix_nanos("2024-11-25X10:20:30Z") == std::nullopt);
    CHECK(rfc.parse_unix_nanos("2024-1-25T10:20:30Z") == std::nullopt);
    CHECK(rfc.parse_unix_nanos("2024-13-25T10:20:30Z") == std::nullopt);
    CHECK(rfc.parse_unix_nanos("2024-11-31T10:20:30Z") == std::nullopt);
    CHECK(rfc.parse_unix_nanos("2024-11-25T24:00:00Z") == std::nullopt);
    CHECK(rfc.parse_unix_nanos("2024-11-25T10:60:00Z") == std::nullopt);
    CHECK(rfc.parse_unix_nanos("2024-11-25T10:20:61Z") == std::nullopt);
  }
}

TEST_CASE("timestamp: unix and unix_ms") {
  const TimestampParser unix_seconds("unix");
  CHECK(unix_seconds.parse_unix_nanos("1700000000") == at_second(1700000000));
  CHECK(unix_seconds.parse_unix_nanos("1700000000.123") == 1700000000 * kNanos + 123'000'000);
  CHECK(unix_seconds.parse_unix_nanos("0") == 0);
  CHECK(unix_seconds.parse_unix_nanos("-1.5") == -1'500'000'000);
  CHECK(unix_seconds.parse_unix_nanos("") == std::nullopt);
  CHECK(unix_seconds.parse_unix_nanos("1700000000.") == std::nullopt);
  CHECK(unix_seconds.parse_unix_nanos("1700000000,5") == std::nullopt);
  CHECK(unix_seconds.parse_unix_nanos("1700000000abc") == std::nullopt);
  CHECK(unix_seconds.parse_unix_nanos(" 1700000000") == std::nullopt);
  CHECK(unix_seconds.parse_unix_nanos("-") == std::nullopt);
  CHECK(unix_seconds.parse_unix_nanos("99999999999") == std::nullopt);  // past int64 nanos

  const TimestampParser unix_ms("unix_ms");
  CHECK(unix_ms.parse_unix_nanos("1700000000123") == 1'700'000'000'123'000'000);
  CHECK(unix_ms.parse_unix_nanos("-1") == -1'000'000);
  CHECK(unix_ms.parse_unix_nanos("1700000000123.5") == std::nullopt);
  CHECK(unix_ms.parse_unix_nanos("") == std::nullopt);
  CHECK(unix_ms.parse_unix_nanos("99999999999999999999") == std::nullopt);

  const TimestampParser with_fraction("%s.%f");
  CHECK(with_fraction.parse_unix_nanos("1700000000.25") == 1700000000 * kNanos + 250'000'000);
  CHECK(with_fraction.parse_unix_nanos("1700000000") == std::nullopt);
}

TEST_CASE("timestamp: leap days and calendar ranges") {
  const TimestampParser date("%Y-%m-%d");
  CHECK(date.parse_unix_nanos("2024-02-29") == at_second(1709164800));
  CHECK(date.parse_unix_nanos("2023-02-29") == std::nullopt);
  CHECK(date.parse_unix_nanos("2024-02-30") == std::nullopt);
  CHECK(date.parse_unix_nanos("1900-02-29") == std::nullopt);
  CHECK(date.parse_unix_nanos("2024-04-31") == std::nullopt);
  CHECK(date.parse_unix_nanos("2024-00-10") == std::nullopt);
  CHECK(date.parse_unix_nanos("2024-12-00") == std::nullopt);
  CHECK(date.parse_unix_nanos("2024-2-9").has_value());  // strptime-style 1-2 digits
  CHECK(date.parse_unix_nanos("2024-02-291") == std::nullopt);
  // Outside what int64 nanoseconds can hold.
  CHECK(date.parse_unix_nanos("1678-01-01") == at_second(-9214560000));
  CHECK(date.parse_unix_nanos("2262-01-01") == at_second(9214646400));
  CHECK(date.parse_unix_nanos("1600-01-01") == std::nullopt);
  CHECK(date.parse_unix_nanos("9999-12-31") == std::nullopt);

  CHECK(parse("%F %T", "2000-02-29 12:00:00") == at_second(951825600));
  CHECK(parse("%F %T", "1969-07-20 20:17:40") == at_second(-14182940));
  // A leap second lands on the next minute.
  CHECK(parse("%F %T", "2016-12-31 23:59:60") == at_second(1483228800));
  CHECK(parse("%F %T", "2016-12-31 23:59:61") == std::nullopt);

  CHECK(parse("%Y-%j", "2024-366") == at_second(1735603200));
  CHECK(parse("%Y-%j", "2023-366") == std::nullopt);
  CHECK(parse("%Y-%j", "2024-367") == std::nullopt);
  CHECK(parse("%Y-%m-%d %j", "2024-12-31 366") == at_second(1735603200));
  CHECK(parse("%Y-%m-%d %j", "2024-12-31 365") == std::nullopt);

  CHECK(parse("%y%m%d", "680101") == at_second(3092601600));
  CHECK(parse("%D %R", "07/20/69 20:17") == at_second(-14182940 - 40));
}

TEST_CASE("timestamp: names, 12-hour clock, zones and whitespace") {
  CHECK(parse("%a, %d %b %Y %H:%M:%S %z", "Mon, 25 Nov 2024 10:00:00 +0000") == at_second(1732528800));
  CHECK(parse("%A %d %B %Y %T %Z", "monday 25 NOVEMBER 2024 10:00:00 GMT") == at_second(1732528800));
  CHECK(parse("%A %d %B %Y %T %Z", "Mon 25 Nov 2024 10:00:00 UTC") == at_second(1732528800));
  CHECK(parse("%d %h %Y %T%Z", "25 Nov 2024 10:00:00Z") == at_second(1732528800));
  CHECK(parse("%A %d %B %Y %T %Z", "Mon 25 Nov 2024 10:00:00 PST") == std::nullopt);
  CHECK(parse("%A %d %B %Y %T %Z", "Mon 25 Nov 2024 10:00:00 UTCX") == std::nullopt);
  CHECK(parse("%a %d %b %Y", "Xyz 25 Nov 2024") == std::nullopt);

  const TimestampParser twelve("%m/%d/%Y %I:%M:%S %p");
  CHECK(twelve.parse_unix_nanos("11/25/2024 12:30:00 AM") == at_second(1732494600));
  CHECK(twelve.parse_unix_nanos("11/25/2024 12:30:00 PM") == at_second(1732537800));
  CHECK(twelve.parse_unix_nanos("11/25/2024 01:00:00 pm") == at_second(1732539600));
  CHECK(twelve.parse_unix_nanos("11/25/2024 13:00:00 PM") == std::nullopt);
  CHECK(twelve.parse_unix_nanos("11/25/2024 00:00:00 AM") == std::nullopt);
  CHECK(twelve.parse_unix_nanos("11/25/2024 01:00:00 XM") == std::nullopt);

  const TimestampParser spaced("%F %T");
  CHECK(spaced.parse_unix_nanos("2024-11-25   10:00:00") == at_second(1732528800));
  CHECK(spaced.parse_unix_nanos("2024-11-25\t10:00:00") == at_second(1732528800));
  CHECK(spaced.parse_unix_nanos("2024-11-2510:00:00") == std::nullopt);

  CHECK(parse("%F %H:%M:%S.%f", "2024-11-25 10:00:00.000001") == 1732528800 * kNanos + 1000);
  CHECK(parse("%F %H:%M:%S.%f", "2024-11-25 10:00:00.") == std::nullopt);
  CHECK(parse("100%% %F", "100% 2024-11-25") == at_second(1732492800));
  CHECK(parse("100%% %F", "100 2024-11-25") == std::nullopt);
}

TEST_CASE("timestamp: bad layouts throw and name the problem") {
  CHECK(layout_error("%Q").find("%Q") != std::string::npos);
  CHECK(layout_error("%Y-%m-%d %").find("lone '%'") != std::string::npos);
  CHECK(layout_error("").find("empty") != std::string::npos);
  CHECK(layout_error("%Y-%m-%d %Ez").find("%E") != std::string::npos);
  CHECK(layout_error("%H:%M:%S").find("no date") != std::string::npos);
  CHECK(layout_error("%Y-%m").find("no date") != std::string::npos);
  CHECK(layout_error("%F %I:%M").find("%I needs %p") != std::string::npos);
  CHECK(layout_error("%F %H:%M %p").find("%p needs %I") != std::string::npos);
  CHECK(layout_error("RFC3339") != "");  // keywords are lower-case only
  CHECK(layout_error("rfc3339") == "");
  CHECK(layout_error("unix") == "");
  CHECK(layout_error("unix_ms") == "");
  CHECK(layout_error("%s") == "");
  CHECK(layout_error("%b %e %H:%M:%S") == "");
  CHECK_THROWS_AS(TimestampParser("%Q"), std::invalid_argument);
}
