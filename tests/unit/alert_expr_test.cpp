#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "alert/expr.h"

using namespace logpulse::alert;

namespace {

const std::vector<WindowShape> kWindows = {
    {"http_5xx_1m", {"status"}, {}},
    {"http_requests_1m", {"status"}, {}},
    {"http_errors_by_method", {"method"}, {}},
    {"http_latency_5m", {"status"}, {0.5, 0.99}},
    {"total_1m", {}, {}},
};

ScalarPosition plain_at(int line, int column) { return {"alerts.yaml", line, column, ScalarStyle::kPlain}; }

std::string parse_error(std::string_view text, ScalarPosition at = plain_at(3, 11)) {
  try {
    Expr::parse(text, at, kWindows);
  } catch (const DefinitionError& e) {
    return e.what();
  }
  return "";
}

Labels status(const std::string& s) { return {{"status", s}}; }

struct Inputs {
  std::map<std::string, Vector> by_name;  // "name" or "name@q"
  WindowLookup lookup() const {
    return [this](const WindowRef& ref) -> const Vector* {
      std::string key = ref.name;
      if (ref.quantile) key.append("@").append(std::to_string(*ref.quantile));
      auto it = by_name.find(key);
      return it == by_name.end() ? nullptr : &it->second;
    };
  }
};

Vector eval(std::string_view text, const Inputs& in) {
  return Expr::parse(text, plain_at(1, 1), kWindows).evaluate(in.lookup());
}

}  // namespace

TEST_CASE("alert expr: numbers, precedence, parentheses and unary minus") {
  Inputs none;
  CHECK(eval("1 + 2 * 3 == 7", none) == Vector{{{}, 7}});
  CHECK(eval("(1 + 2) * 3 == 9", none) == Vector{{{}, 9}});
  CHECK(eval("-2 - -3 == 1", none) == Vector{{{}, 1}});
  CHECK(eval("8 / 2 / 2 == 2", none) == Vector{{{}, 2}});
  CHECK(eval("1e3 >= 999.5", none) == Vector{{{}, 1000}});
  CHECK(eval(".5 + 2.5E-1 == 0.75", none) == Vector{{{}, 0.75}});
  CHECK(eval("- (1 - 3) != 3", none) == Vector{{{}, 2}});
  CHECK(eval("1 > 2", none).empty());
  CHECK(eval("2 <= 2", none) == Vector{{{}, 2}});
  CHECK(eval("1 < 2", none) == Vector{{{}, 1}});
}

TEST_CASE("alert expr: windows are matched label set to label set") {
  Inputs in;
  in.by_name["http_5xx_1m"] = {{status("500"), 6}, {status("502"), 1}, {status("503"), 4}};
  in.by_name["http_requests_1m"] = {{status("500"), 100}, {status("502"), 0}, {status("504"), 9}};
  // 503 and 504 are each missing on one side; 502 divides by zero: no sample for any.
  CHECK(eval("http_5xx_1m / http_requests_1m > 0", in) == Vector{{status("500"), 0.06}});
  CHECK(eval("http_5xx_1m > 3", in) == Vector{{status("500"), 6}, {status("503"), 4}});
  CHECK(eval("http_5xx_1m * 2 + 1 >= 9", in) == Vector{{status("500"), 13}, {status("503"), 9}});
  CHECK(eval("-http_5xx_1m < -3", in) == Vector{{status("500"), -6}, {status("503"), -4}});
  CHECK(eval("http_5xx_1m / 0 > 0", in).empty());
  CHECK(eval("http_5xx_1m / (2 - 2) < 1", in).empty());
  // A window with no values yet yields nothing.
  CHECK(eval("http_requests_1m - http_5xx_1m < 1000", Inputs{}).empty());
}

TEST_CASE("alert expr: the value kept is the left side's, or the window's against a number") {
  Inputs in;
  in.by_name["http_5xx_1m"] = {{status("500"), 6}};
  in.by_name["http_requests_1m"] = {{status("500"), 4}};
  CHECK(eval("http_5xx_1m > http_requests_1m", in) == Vector{{status("500"), 6}});
  CHECK(eval("http_requests_1m < http_5xx_1m", in) == Vector{{status("500"), 4}});
  CHECK(eval("5 < http_5xx_1m", in) == Vector{{status("500"), 6}});
  CHECK(eval("5 - 1 < http_5xx_1m * 10", in) == Vector{{status("500"), 60}});
}

TEST_CASE("alert expr: division by zero between numbers yields no sample") {
  CHECK(eval("1 / 0 > 0", Inputs{}).empty());
  CHECK(eval("0 / 0 != 1", Inputs{}).empty());
  Inputs in;
  in.by_name["http_5xx_1m"] = {{status("500"), 6}};
  CHECK(eval("http_5xx_1m + 1 / 0 > 0", in).empty());
}

TEST_CASE("alert expr: a quantile window is read through its quantile selector") {
  Inputs in;
  in.by_name["http_latency_5m@" + std::to_string(0.99)] = {{status("200"), 1.5}, {status("500"), 0.2}};
  in.by_name["http_latency_5m@" + std::to_string(0.5)] = {{status("200"), 0.1}};
  CHECK(eval("http_latency_5m{quantile=\"0.99\"} > 1", in) == Vector{{status("200"), 1.5}});
  CHECK(eval("http_latency_5m{ quantile = '0.99' } / http_latency_5m{quantile=\"0.5\"} > 10", in) ==
        Vector{{status("200"), 15}});
  Expr e = Expr::parse("http_latency_5m{quantile=\"0.99\"} + http_latency_5m{quantile=\"0.990\"} > 0", plain_at(1, 1),
                       kWindows);
  REQUIRE(e.references().size() == 1);
  CHECK(e.references()[0].name == "http_latency_5m");
  CHECK(*e.references()[0].quantile == 0.99);
  CHECK(e.by() == std::vector<std::string>{"status"});
}

TEST_CASE("alert expr: syntax errors name the offending character's line and column") {
  // plain scalar at 3:11: character i is at column 11 + i
  CHECK(parse_error("http_5xx_1m > ") ==
        "alerts.yaml:3:25: expected a number, a window name, '-' or '(' but found the end of the expression");
  CHECK(parse_error("http_5xx_1m") ==
        "alerts.yaml:3:22: expected a comparison (> < >= <= == !=): an alert expression compares");
  CHECK(parse_error("http_5xx_1m > 5 > 3") ==
        "alerts.yaml:3:27: only one comparison is allowed in an alert expression");
  CHECK(parse_error("(http_5xx_1m > 5)") ==
        "alerts.yaml:3:24: a comparison is only allowed at the top of an alert expression, not inside parentheses");
  CHECK(parse_error("(1 + 2 > 5") ==
        "alerts.yaml:3:18: a comparison is only allowed at the top of an alert expression, not inside parentheses");
  CHECK(parse_error("(1 + 2) > (5") == "alerts.yaml:3:23: expected ')' but found the end of the expression");
  CHECK(parse_error("1 + * 2 > 5") == "alerts.yaml:3:15: expected a number, a window name, '-' or '(' but found '*'");
  CHECK(parse_error("1e > 5") == "alerts.yaml:3:13: expected the digits of an exponent");
  CHECK(parse_error("5s > 5") == "alerts.yaml:3:12: expected an operator or a comparison but found name s");
  CHECK(parse_error("1 > 5 $") == "alerts.yaml:3:17: unexpected character '$'");
  CHECK(parse_error("1 = 5") == "alerts.yaml:3:13: expected an operator or a comparison but found '='");
  CHECK(parse_error("1 ! 5") == "alerts.yaml:3:13: expected != but found a lone '!'");
  CHECK(parse_error("1e999 > 5") == "alerts.yaml:3:11: number out of range");
  CHECK(parse_error(std::string(300, '(') + "1") == "alerts.yaml:3:211: expression nested too deeply");
  CHECK(parse_error("1 > 5 2") ==
        "alerts.yaml:3:17: expected an operator or the end of the expression but found number 2");
}

TEST_CASE("alert expr: `by` labels are compared as sets") {
  const std::vector<WindowShape> windows = {{"a", {"method", "status"}, {}}, {"b", {"status", "method"}, {}}};
  Expr e = Expr::parse("a / b > 1", plain_at(1, 1), windows);
  CHECK(e.by() == std::vector<std::string>{"method", "status"});
  REQUIRE(e.references().size() == 2);
  CHECK(e.references()[0].name == "a");
  CHECK(e.references()[1].name == "b");
  CHECK_FALSE(e.references()[0].quantile.has_value());
  const Labels get_500 = {{"method", "GET"}, {"status", "500"}};
  const Vector a = {{get_500, 9}}, b = {{get_500, 3}};
  CHECK(e.evaluate([&](const WindowRef& r) { return r.name == "a" ? &a : &b; }) == Vector{{get_500, 3}});
  CHECK(e.evaluate(nullptr).empty());
}

TEST_CASE("alert expr: quoted scalars start one column after the quote") {
  CHECK(parse_error("1 > ", {"a.yaml", 7, 11, ScalarStyle::kDoubleQuoted}) ==
        "a.yaml:7:16: expected a number, a window name, '-' or '(' but found the end of the expression");
  CHECK(parse_error("1 >> 2", {"a.yaml", 7, 11, ScalarStyle::kSingleQuoted}) ==
        "a.yaml:7:15: expected a number, a window name, '-' or '(' but found '>'");
  // A line break in the value (a block scalar) moves to the next line.
  CHECK(parse_error("1 >\n  ?", {"a.yaml", 7, 5, ScalarStyle::kPlain}) == "a.yaml:8:7: unexpected character '?'");
}

TEST_CASE("alert expr: unknown windows, selectors and `by` mismatches are errors") {
  CHECK(parse_error("http_5xx_5m > 1") == "alerts.yaml:3:11: unknown window http_5xx_5m");
  CHECK(parse_error("1 < 2 * nope") == "alerts.yaml:3:19: unknown window nope");
  CHECK(parse_error("http_latency_5m > 1") ==
        "alerts.yaml:3:11: window http_latency_5m is a quantile window: name one of its quantiles [0.5, 0.99] as "
        "http_latency_5m{quantile=\"0.5\"}");
  CHECK(parse_error("http_latency_5m{quantile=\"0.9\"} > 1") ==
        "alerts.yaml:3:26: window http_latency_5m has no quantile 0.900000: it computes [0.5, 0.99]");
  CHECK(parse_error("http_5xx_1m{quantile=\"0.9\"} > 1") ==
        "alerts.yaml:3:22: window http_5xx_1m is not a quantile window: it takes no {quantile=...} selector");
  CHECK(parse_error("http_latency_5m{q=\"0.9\"} > 1") ==
        "alerts.yaml:3:27: expected quantile in a window selector but found name q");
  CHECK(parse_error("http_latency_5m{quantile=\"x\"} > 1") ==
        "alerts.yaml:3:37: expected a number between 0 and 1 as the quantile");
  CHECK(parse_error("http_latency_5m{quantile=\"0.5} > 1") == "alerts.yaml:3:36: unterminated string: no closing \"");
  CHECK(parse_error("http_5xx_1m / http_errors_by_method > 1") ==
        "alerts.yaml:3:25: window http_errors_by_method is grouped by [method] but window http_5xx_1m by [status]: "
        "windows in one expression must share their `by` labels");
  CHECK(parse_error("total_1m > http_5xx_1m") ==
        "alerts.yaml:3:22: window http_5xx_1m is grouped by [status] but window total_1m by []: "
        "windows in one expression must share their `by` labels");
}
