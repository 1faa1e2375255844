#include "alert/value_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace logpulse::alert {
namespace {

// The shortest round-trip digits of finite |v| and its decimal exponent (v = 0.d1d2... * 10^
// (exponent + 1)), read off std::to_chars' shortest scientific form "d.ddde+XX".
struct Digits {
  std::string digits;
  int exponent = 0;
};

Digits shortest_digits(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  (void)ec;  // 64 bytes always hold a double
  Digits d;
  const char* p = buf;
  for (; p != end && *p != 'e'; ++p) {
    if (*p != '.') d.digits.push_back(*p);
  }
  if (p != end) std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, d.exponent);
  return d;
}

std::string non_finite(double v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "+Inf" : "-Inf";
}

std::string exponent_form(bool negative, const Digits& d) {
  std::string out = negative ? "-" : "";
  out += d.digits[0];
  if (d.digits.size() > 1) {
    out += '.';
    out.append(d.digits, 1, std::string::npos);
  }
  out += 'e';
  out += d.exponent < 0 ? '-' : '+';
  const int magnitude = std::abs(d.exponent);
  if (magnitude < 10) out += '0';
  out += std::to_string(magnitude);
  return out;
}

}  // namespace

std::string format_value_exponent(double v) {
  if (!std::isfinite(v)) return non_finite(v);
  return exponent_form(std::signbit(v), shortest_digits(v));
}

std::string format_value_template(double v) {
  if (!std::isfinite(v)) return non_finite(v);
  const Digits d = shortest_digits(v);
  const bool negative = std::signbit(v);
  if (d.exponent < -4 || d.exponent >= 6) return exponent_form(negative, d);
  std::string out = negative ? "-" : "";
  const int point = d.exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += d.digits;
    return out;
  }
  const auto whole = static_cast<std::size_t>(point);
  if (d.digits.size() <= whole) {
    out += d.digits;
    out.append(whole - d.digits.size(), '0');
    return out;
  }
  out.append(d.digits, 0, whole);
  out += '.';
  out.append(d.digits, whole, std::string::npos);
  return out;
}

namespace {

std::string rfc3339(std::chrono::system_clock::time_point t, int fraction_digits, bool trim) {
  using namespace std::chrono;
  const auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(ns / 1'000'000'000);
  auto fraction = ns % 1'000'000'000;
  if (fraction < 0) {
    fraction += 1'000'000'000;
    --seconds;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out = buf;
  char frac[16];
  std::snprintf(frac, sizeof frac, "%09lld", static_cast<long long>(fraction));
  std::string digits(frac, static_cast<std::size_t>(fraction_digits));
  if (trim) {
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
  }
  if (!digits.empty()) out += "." + digits;
  out += 'Z';
  return out;
}

}  // namespace

std::string rfc3339_nano(std::chrono::system_clock::time_point t) { return rfc3339(t, 9, true); }

std::string rfc3339_millis(std::chrono::system_clock::time_point t) { return rfc3339(t, 3, false); }

}  // namespace logpulse::alert
