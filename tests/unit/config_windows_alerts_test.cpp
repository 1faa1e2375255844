// The loader's reading of windows:, alerts:, alertmanager:, evaluation_interval and status:
// (SPEC.md "Configuration"): values land in the typed structs, and each mistake is a
// ConfigError at the offending node's file, line and column.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "config/config_loader.h"

using namespace logpulse::config;
using namespace std::chrono_literals;

namespace {

// The message load_string() throws for `yaml`, or "" when it loads.
std::string windows_alerts_error_of(const std::string& yaml) {
  try {
    load_string(yaml, "test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// Lines 1-3: a source and a rule `access` with captures a and b, and metrics hits_total
// (counter) and lat (histogram). Windows written after it start on line 4.
const std::string kWindowBase =
    "sources: [{name: s, paths: [x]}]\n"
    "rules:\n"
    "  - {name: access, source: s, match: '(?P<a>.) (?P<b>.)', metrics: [{name: hits_total, type: counter}, "
    "{name: lat, type: histogram, value: a}, {name: sz, type: summary, value: b}]}\n";

// kWindowBase, then `windows:` on line 4 and `entries` (one per line) from line 5.
std::string with_windows(const std::vector<std::string>& entries) {
  std::string yaml = kWindowBase + "windows:\n";
  for (const auto& entry : entries) yaml += "  - " + entry + "\n";
  return yaml;
}

std::string window_error_of(const std::vector<std::string>& entries) {
  return windows_alerts_error_of(with_windows(entries));
}

// A source on line 1, then `lines` from line 2.
std::string with_source(const std::string& lines) { return "sources: [{name: s, paths: [x]}]\n" + lines; }

// `alerts:` on line 2, then `entries` (one per line) from line 3.
std::string alert_error_of(const std::vector<std::string>& entries) {
  std::string yaml = "alerts:\n";
  for (const auto& entry : entries) yaml += "  - " + entry + "\n";
  return windows_alerts_error_of(with_source(yaml));
}

// SPEC.md's example configuration, without remote_write: (not read yet) and with a real
// bcrypt hash where SPEC.md writes "$2y$10$...".
const char* const kSpecExampleYaml = R"(listen: ["127.0.0.1:9273"]        # one or more host:port; [::1]:9273 allowed
state_dir: /var/lib/logpulse      # checkpoints; default ./logpulse-state
checkpoint_interval: 5s           # durations: 250ms, 5s, 1m, 2h, 1d
web:                              # optional; same meaning as Prometheus' web-config
  tls_server_config: {cert_file: server.crt, key_file: server.key}
  basic_auth_users: {prometheus: "$2y$10$Eavtf66Z.7IBC6u4T9wfUeqG43dqDviK.0AqpIoFvoijuFnoDhz6i"}   # bcrypt hashes
  health_without_auth: false      # true: /-/healthy answers without credentials
alertmanager:                     # optional
  url: http://127.0.0.1:9093      # or urls: [a, b, c] for a cluster: each gets every alert
  resend_interval: 1m
evaluation_interval: 1s           # windows and alerts are evaluated at least this often
status: {unmatched_samples: 10}   # last N unmatched lines per source on the status page; 0 = off
patterns:                         # named sub-patterns for %{NAME} / %{NAME:capture}
  IP: '\d{1,3}(?:\.\d{1,3}){3}'
sources:
  - name: nginx
    paths: ["/var/log/nginx/access.log", "/var/log/app/*.log"]   # globs, rescanned
    exclude: ["*.gz"]
    start_at: end                 # end | beginning, for files with no checkpoint
    max_line_bytes: 65536         # longer lines are cut there and counted, never lost
    multiline: {start: '^\S', timeout: 1s}   # optional: continuation lines join a record
    format: text                  # text | json (fields of each JSON object become captures)
rules:
  - name: access
    source: nginx
    match: '^%{IP:client} \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>\S+)[^"]*" (?P<status>\d{3}) (?P<bytes>\d+) .* (?P<request_time>[0-9.]+)$'
    timestamp: {field: time, layout: "%d/%b/%Y:%H:%M:%S %z"}   # optional event time
    metrics:
      - {name: http_requests_total, type: counter, help: "Requests.", labels: [method, status]}
      - {name: http_response_bytes_total, type: counter, value: bytes, labels: [status]}
      - {name: http_request_seconds, type: histogram, value: request_time,
         buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]}
      - {name: http_last_response_bytes, type: gauge, value: bytes}
    max_series: 10000             # per metric; more label sets are dropped and counted
    expire_after: 1h              # a label set not updated for this long is removed
windows:
  - {name: http_requests_5m, rule: access, over: 5m, agg: count, by: [status]}
  - {name: http_5xx_1m, rule: access, where: {status: '5..'}, over: 1m, agg: rate}
  - {name: http_latency_5m, rule: access, over: 5m, agg: quantile, of: request_time,
     quantiles: [0.5, 0.9, 0.99], by: [method]}
  - {name: top_clients_5m, rule: access, over: 5m, agg: topk, k: 10, by: [client]}
  - {name: unique_clients_5m, rule: access, over: 5m, agg: distinct, of: client}
alerts:
  - name: HighErrorRate
    expr: http_5xx_1m > 5         # arithmetic (+ - * /) over windows and numbers, one comparison
    for: 30s
    keep_firing_for: 0s
    labels: {severity: page}
    annotations: {summary: "5xx rate is {{ $value }} per second"}
)";

}  // namespace

TEST_CASE("config: SPEC.md's example loads its windows, alerts, alertmanager and status") {
  const Config c = load_string(kSpecExampleYaml, "test.yaml");

  CHECK(c.evaluation_interval == 1s);
  CHECK(c.status.unmatched_samples == 10);

  CHECK(c.alertmanager.urls == std::vector<std::string>{"http://127.0.0.1:9093"});
  CHECK(c.alertmanager.url_positions == std::vector<std::pair<int, int>>{{9, 8}});
  CHECK(c.alertmanager.resend_interval == 1min);
  CHECK(c.alertmanager.timeout == 10s);
  CHECK(c.alertmanager.line == 9);
  CHECK(c.alertmanager.column == 3);

  REQUIRE(c.windows.size() == 5);
  const WindowConfig& requests = c.windows[0];
  CHECK(requests.name == "http_requests_5m");
  CHECK(requests.rule == "access");
  CHECK(requests.agg == WindowAgg::kCount);
  CHECK(requests.over == 5min);
  CHECK(requests.of.empty());
  CHECK(requests.by == std::vector<std::string>{"status"});
  CHECK(requests.where.empty());
  CHECK(requests.quantiles.empty());
  CHECK(requests.k == 10);
  CHECK(requests.max_series == 10000);
  CHECK(requests.line == 37);
  CHECK(requests.column == 5);
  CHECK(requests.rule_line == 37);
  CHECK(requests.rule_column == 36);
  CHECK(requests.by_line == 37);
  CHECK(requests.by_column == 70);
  CHECK(requests.of_line == 0);

  const WindowConfig& errors = c.windows[1];
  CHECK(errors.name == "http_5xx_1m");
  CHECK(errors.agg == WindowAgg::kRate);
  CHECK(errors.over == 1min);
  CHECK(errors.by.empty());
  REQUIRE(errors.where.size() == 1);
  CHECK(errors.where[0].field == "status");
  CHECK(errors.where[0].pattern == "5..");
  CHECK(errors.where[0].line == 38);
  CHECK(errors.where[0].column == 55);
  CHECK(errors.rule_column == 31);

  const WindowConfig& latency = c.windows[2];
  CHECK(latency.name == "http_latency_5m");
  CHECK(latency.agg == WindowAgg::kQuantile);
  CHECK(latency.of == "request_time");
  CHECK(latency.of_line == 39);
  CHECK(latency.of_column == 72);
  CHECK(latency.quantiles == std::vector<double>{0.5, 0.9, 0.99});
  CHECK(latency.by == std::vector<std::string>{"method"});
  CHECK(latency.by_line == 40);
  CHECK(latency.by_column == 39);

  const WindowConfig& top = c.windows[3];
  CHECK(top.name == "top_clients_5m");
  CHECK(top.agg == WindowAgg::kTopk);
  CHECK(top.k == 10);
  CHECK(top.by == std::vector<std::string>{"client"});
  CHECK(top.by_line == 41);
  CHECK(top.by_column == 74);

  const WindowConfig& unique = c.windows[4];
  CHECK(unique.name == "unique_clients_5m");
  CHECK(unique.agg == WindowAgg::kDistinct);
  CHECK(unique.of == "client");
  CHECK(unique.of_line == 42);
  CHECK(unique.of_column == 74);

  REQUIRE(c.alerts.size() == 1);
  const AlertConfig& alert = c.alerts[0];
  CHECK(alert.name == "HighErrorRate");
  CHECK(alert.expr == "http_5xx_1m > 5");
  CHECK(alert.expr_line == 45);
  CHECK(alert.expr_column == 11);
  CHECK(alert.expr_quote == 0);
  CHECK(alert.for_duration == 30s);
  CHECK(alert.keep_firing_for == 0s);
  CHECK(alert.labels == std::vector<std::pair<std::string, std::string>>{{"severity", "page"}});
  REQUIRE(alert.annotations.size() == 1);
  CHECK(alert.annotations[0].name == "summary");
  CHECK(alert.annotations[0].text == "5xx rate is {{ $value }} per second");
  CHECK(alert.annotations[0].line == 49);
  CHECK(alert.annotations[0].column == 28);
  CHECK(alert.annotations[0].quote == '"');
  CHECK(alert.line == 44);
  CHECK(alert.column == 5);
}

TEST_CASE("config: without windows, alerts, alertmanager or status the defaults hold") {
  const Config c = load_string(with_source(""), "test.yaml");
  CHECK(c.windows.empty());
  CHECK(c.alerts.empty());
  CHECK(c.alertmanager.urls.empty());
  CHECK(c.alertmanager.resend_interval == 1min);
  CHECK(c.alertmanager.timeout == 10s);
  CHECK(c.evaluation_interval == 1s);
  CHECK(c.status.unmatched_samples == 10);
}

TEST_CASE("config: remote_write is read (tests/unit/remote_config_test.cpp has the rest)") {
  CHECK(windows_alerts_error_of(with_source("remote_write: [{url: 'http://mimir:9009/api/v1/push'}]\n")) == "");
}

TEST_CASE("config: a window names a rule defined later in the file") {
  const Config c = load_string(
      "windows:\n"
      "  - {name: w, rule: access, over: 10s, agg: sum, of: a, max_series: 5}\n" + kWindowBase, "test.yaml");
  REQUIRE(c.windows.size() == 1);
  CHECK(c.windows[0].rule == "access");
  CHECK(c.windows[0].rule_line == 2);
  CHECK(c.windows[0].rule_column == 21);
  CHECK(c.windows[0].agg == WindowAgg::kSum);
  CHECK(c.windows[0].over == 10s);
  CHECK(c.windows[0].max_series == 5);
}

TEST_CASE("config: each window agg is read, with its of, by, where, quantiles and k") {
  const Config c = load_string(with_windows({
      "{name: c, rule: access, over: 1s, agg: count}",
      "{name: s, rule: access, over: 30d, agg: sum, of: a}",
      "{name: v, rule: access, over: 1m, agg: avg, of: a}",
      "{name: lo, rule: access, over: 1m, agg: min, of: a}",
      "{name: hi, rule: access, over: 1m, agg: max, of: a}",
      "{name: r, rule: access, over: 1m, agg: rate, by: b}",
      "{name: q, rule: access, over: 1m, agg: quantile, of: a, quantiles: [0.99, 0, 1, 0.5]}",
      "{name: d, rule: access, over: 1m, agg: distinct, of: a, by: [b]}",
      "{name: t, rule: access, over: 1m, agg: topk, by: [a, b], k: 1000, max_series: 1000000}",
      "{name: 'ns:w_1', rule: access, over: 1m, agg: count, where: {a: 'x|y', b: \"\\\\d+\"}}",
  }), "test.yaml");
  REQUIRE(c.windows.size() == 10);
  const WindowAgg expected[] = {WindowAgg::kCount, WindowAgg::kSum,      WindowAgg::kAvg,
                                WindowAgg::kMin,   WindowAgg::kMax,      WindowAgg::kRate,
                                WindowAgg::kQuantile, WindowAgg::kDistinct, WindowAgg::kTopk,
                                WindowAgg::kCount};
  for (std::size_t i = 0; i < c.windows.size(); ++i) CHECK(c.windows[i].agg == expected[i]);
  CHECK(c.windows[0].over == 1s);
  CHECK(c.windows[1].over == std::chrono::hours(24 * 30));
  CHECK(c.windows[1].of == "a");
  CHECK(c.windows[5].by == std::vector<std::string>{"b"});  // a scalar is a list of one
  CHECK(c.windows[6].quantiles == std::vector<double>{0, 0.5, 0.99, 1});
  CHECK(c.windows[7].by == std::vector<std::string>{"b"});
  CHECK(c.windows[8].k == 1000);
  CHECK(c.windows[8].max_series == 1000000);
  CHECK(c.windows[8].by == std::vector<std::string>{"a", "b"});
  const WindowConfig& filtered = c.windows[9];
  CHECK(filtered.name == "ns:w_1");
  REQUIRE(filtered.where.size() == 2);
  CHECK(filtered.where[0].field == "a");
  CHECK(filtered.where[0].pattern == "x|y");
  CHECK(filtered.where[0].line == 14);
  CHECK(filtered.where[0].column == 69);
  CHECK(filtered.where[1].field == "b");
  CHECK(filtered.where[1].pattern == "\\d+");
  CHECK(filtered.where[1].column == 79);
}

TEST_CASE("config: window errors name the offending node") {
  CHECK(windows_alerts_error_of(kWindowBase + "windows: {name: w}\n") ==
        "test.yaml:4:10: windows: expected a list of windows");
  CHECK(window_error_of({"[w]"}) == "test.yaml:5:5: window: expected a mapping");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, bogus: 1}"}) ==
        "test.yaml:5:51: unknown key 'bogus' in window (expected one of: agg, by, k, max_series, name, of, over, "
        "quantiles, rule, where)");

  // name
  CHECK(window_error_of({"{rule: access, over: 1m, agg: count}"}) == "test.yaml:5:5: window: 'name' is required");
  CHECK(window_error_of({"{name: 5xx, rule: access, over: 1m, agg: count}"}) ==
        "test.yaml:5:12: window name '5xx' is not a valid Prometheus metric name (expected [A-Za-z_:][A-Za-z0-9_:]*)");
  CHECK(window_error_of({"{name: a-b, rule: access, over: 1m, agg: count}"}).rfind("test.yaml:5:12: window name 'a-b' is not", 0) == 0);
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count}", "{name: w, rule: access, over: 5m, agg: rate}"}) ==
        "test.yaml:6:12: duplicate window name 'w' (first at line 5)");
  CHECK(window_error_of({"{name: logpulse_w, rule: access, over: 1m, agg: count}"}) ==
        "test.yaml:5:12: window logpulse_w: names starting with logpulse_ are reserved");
  CHECK(window_error_of({"{name: ALERTS, rule: access, over: 1m, agg: count}"}) ==
        "test.yaml:5:12: window ALERTS: ALERTS is the series of alerts (expected another name)");
  CHECK(window_error_of({"{name: ALERTS_FOR_STATE, rule: access, over: 1m, agg: count}"}) ==
        "test.yaml:5:12: window ALERTS_FOR_STATE: ALERTS_FOR_STATE is the series of alerts (expected another name)");
  CHECK(window_error_of({"{name: hits_total, rule: access, over: 1m, agg: count}"}) ==
        "test.yaml:5:12: window hits_total: the name is already exported by metric hits_total of rule access "
        "(expected a name of its own)");
  // A histogram's and a summary's series are names on /metrics too.
  CHECK(window_error_of({"{name: lat_bucket, rule: access, over: 1m, agg: count}"}) ==
        "test.yaml:5:12: window lat_bucket: the name is already exported by metric lat of rule access "
        "(expected a name of its own)");
  CHECK(window_error_of({"{name: sz_count, rule: access, over: 1m, agg: count}"}).rfind(
            "test.yaml:5:12: window sz_count: the name is already exported by metric sz of rule access", 0) == 0);

  // rule
  CHECK(window_error_of({"{name: w, over: 1m, agg: count}"}) == "test.yaml:5:5: window w: 'rule' is required");
  CHECK(window_error_of({"{name: w, rule: nope, over: 1m, agg: count}"}) ==
        "test.yaml:5:21: window w: unknown rule 'nope' (expected one of: access)");
  CHECK(windows_alerts_error_of(with_source("windows: [{name: w, rule: nope, over: 1m, agg: count}]\n")) ==
        "test.yaml:2:27: window w: unknown rule 'nope' (no rules are configured)");

  // over
  CHECK(window_error_of({"{name: w, rule: access, agg: count}"}) ==
        "test.yaml:5:5: window w: 'over' is required (the window's span, e.g. 5m)");
  CHECK(window_error_of({"{name: w, rule: access, over: 500ms, agg: count}"}) ==
        "test.yaml:5:35: over: 500ms is out of range (expected 1s .. 30d)");
  CHECK(window_error_of({"{name: w, rule: access, over: 31d, agg: count}"}) ==
        "test.yaml:5:35: over: 31d is out of range (expected 1s .. 30d)");
  CHECK(window_error_of({"{name: w, rule: access, over: 0s, agg: count}"}) ==
        "test.yaml:5:35: over: 0s is out of range (expected 1s .. 30d)");
  CHECK(window_error_of({"{name: w, rule: access, over: soon, agg: count}"}) ==
        "test.yaml:5:35: over: bad duration 'soon' (expected e.g. 250ms, 5s, 1m, 2h, 1d)");

  // agg
  CHECK(window_error_of({"{name: w, rule: access, over: 1m}"}) ==
        "test.yaml:5:5: window w: 'agg' is required (count, sum, avg, min, max, rate, quantile, distinct or topk)");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: median}"}) ==
        "test.yaml:5:44: agg: expected count, sum, avg, min, max, rate, quantile, distinct or topk, got 'median'");

  // of
  for (const std::string agg : {"sum", "avg", "min", "max"})
    CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: " + agg + "}"}) ==
          "test.yaml:5:5: window w: agg " + agg + " needs 'of' (the capture holding the value)");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: quantile, quantiles: [0.5]}"}) ==
        "test.yaml:5:5: window w: agg quantile needs 'of' (the capture holding the value)");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: distinct}"}) ==
        "test.yaml:5:5: window w: agg distinct needs 'of' (the capture whose distinct values are counted)");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, of: a}"}) ==
        "test.yaml:5:55: window w: agg count takes no 'of' (it counts matching lines)");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, of: a, agg: rate}"}) ==
        "test.yaml:5:43: window w: agg rate takes no 'of' (it counts matching lines)");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: topk, by: [a], of: a}"}) ==
        "test.yaml:5:63: window w: agg topk takes no 'of' (it counts matching lines per 'by' label set)");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: sum, of: ''}"}) ==
        "test.yaml:5:53: of: expected a non-empty string");

  // by
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, by: [a, b, a]}"}) ==
        "test.yaml:5:62: by: duplicate capture 'a'");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: topk}"}) ==
        "test.yaml:5:5: window w: agg topk needs 'by' (the captures whose label sets are ranked)");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: topk, by: []}"}) ==
        "test.yaml:5:54: window w: agg topk needs 'by' (the captures whose label sets are ranked)");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, by: {a: 1}}"}) ==
        "test.yaml:5:55: by: expected a list of strings");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: quantile, of: a, quantiles: [0.5], by: [b, quantile]}"}) ==
        "test.yaml:5:87: window w: by: 'quantile' is the label of a quantile window's series (expected another capture)");

  // where
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, where: ['5..']}"}) ==
        "test.yaml:5:58: where: expected a mapping of capture: pattern");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, where: {a: x, a: y}}"}) ==
        "test.yaml:5:65: where: duplicate capture 'a'");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, where: {a: [x]}}"}) ==
        "test.yaml:5:62: where.a: expected a non-empty string");

  // quantiles
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: quantile, of: a}"}) ==
        "test.yaml:5:5: window w: agg quantile needs 'quantiles' (e.g. [0.5, 0.9, 0.99])");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, quantiles: [0.5]}"}) ==
        "test.yaml:5:62: window w: 'quantiles' is for agg quantile");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: quantile, of: a, quantiles: []}"}) ==
        "test.yaml:5:72: quantiles: expected a non-empty list of numbers in [0, 1]");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: quantile, of: a, quantiles: 0.5}"}) ==
        "test.yaml:5:72: quantiles: expected a non-empty list of numbers in [0, 1]");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: quantile, of: a, quantiles: [0.5, 1.5]}"}) ==
        "test.yaml:5:78: quantiles: each must be in [0, 1], got '1.5'");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: quantile, of: a, quantiles: [-0.1]}"}) ==
        "test.yaml:5:73: quantiles: each must be in [0, 1], got '-0.1'");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: quantile, of: a, quantiles: [0.9, 0.5, 0.90]}"}) ==
        "test.yaml:5:83: quantiles: duplicate quantile '0.90'");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: quantile, of: a, quantiles: [half]}"}) ==
        "test.yaml:5:73: quantiles: expected a number, got 'half'");
  std::string many = "[0";
  for (int i = 1; i <= 100; ++i) many += ", " + std::to_string(i / 100.0);
  many += "]";
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: quantile, of: a, quantiles: " + many + "}"}) ==
        "test.yaml:5:72: quantiles: 101 numbers, expected at most 100");

  // k
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, k: 5}"}) ==
        "test.yaml:5:54: window w: 'k' is for agg topk");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: topk, by: a, k: 0}"}) ==
        "test.yaml:5:60: k: expected an integer 1 .. 1000, got '0'");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: topk, by: a, k: 1001}"}) ==
        "test.yaml:5:60: k: expected an integer 1 .. 1000, got '1001'");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: topk, by: a, k: 2.5}"}) ==
        "test.yaml:5:60: k: expected an integer 1 .. 1000, got '2.5'");

  // max_series
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, max_series: 0}"}) ==
        "test.yaml:5:63: max_series: expected an integer 1 .. 1000000, got '0'");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, max_series: 1000001}"}) ==
        "test.yaml:5:63: max_series: expected an integer 1 .. 1000000, got '1000001'");
  CHECK(window_error_of({"{name: w, rule: access, over: 1m, agg: count, max_series: -1}"}) ==
        "test.yaml:5:63: max_series: expected an integer 1 .. 1000000, got '-1'");
}

TEST_CASE("config: alert expr records its line, column and quote") {
  const Config c = load_string(with_source(
      "alerts:\n"
      "  - name: Plain\n"
      "    expr: w > 1\n"
      "  - name: Single\n"
      "    expr: 'w > 1'\n"
      "  - {name: Double, expr: \"w > 1\", annotations: {a: plain text, b: 'single', c: \"double\"}}\n"
      "  - name: Block\n"
      "    expr: |\n"
      "      w > 1\n"
      "  - {name: Anchored, expr: &e \"w > 2\"}\n"
      "  - {name: Tagged, expr: !!str   'w > 3'}\n"
      "  - {name: Aliased, expr: *e}\n"),
      "test.yaml");
  REQUIRE(c.alerts.size() == 7);
  CHECK(c.alerts[0].expr == "w > 1");
  CHECK(c.alerts[0].expr_line == 4);
  CHECK(c.alerts[0].expr_column == 11);
  CHECK(c.alerts[0].expr_quote == 0);
  CHECK(c.alerts[1].expr == "w > 1");
  CHECK(c.alerts[1].expr_line == 6);
  CHECK(c.alerts[1].expr_column == 11);
  CHECK(c.alerts[1].expr_quote == '\'');
  CHECK(c.alerts[2].expr == "w > 1");
  CHECK(c.alerts[2].expr_line == 7);
  CHECK(c.alerts[2].expr_column == 26);
  CHECK(c.alerts[2].expr_quote == '"');
  CHECK(c.alerts[3].expr == "w > 1\n");
  CHECK(c.alerts[3].expr_quote == 0);
  // yaml-cpp marks a node at its anchor or tag; the position is the value's own.
  CHECK(c.alerts[4].expr == "w > 2");
  CHECK(c.alerts[4].expr_line == 11);
  CHECK(c.alerts[4].expr_column == 31);
  CHECK(c.alerts[4].expr_quote == '"');
  CHECK(c.alerts[5].expr == "w > 3");
  CHECK(c.alerts[5].expr_line == 12);
  CHECK(c.alerts[5].expr_column == 34);
  CHECK(c.alerts[5].expr_quote == '\'');
  // An alias is the anchored node: its text is where the anchor is.
  CHECK(c.alerts[6].expr == "w > 2");
  CHECK(c.alerts[6].expr_line == 11);
  CHECK(c.alerts[6].expr_column == 31);
  CHECK(c.alerts[6].expr_quote == '"');

  const auto& annotations = c.alerts[2].annotations;
  REQUIRE(annotations.size() == 3);
  CHECK(annotations[0].name == "a");
  CHECK(annotations[0].text == "plain text");
  CHECK(annotations[0].quote == 0);
  CHECK(annotations[0].line == 7);
  CHECK(annotations[0].column == 52);
  CHECK(annotations[1].text == "single");
  CHECK(annotations[1].quote == '\'');
  CHECK(annotations[1].column == 67);
  CHECK(annotations[2].text == "double");
  CHECK(annotations[2].quote == '"');
  CHECK(annotations[2].column == 80);

  // Defaults, and labels whose values are numbers kept as their text.
  CHECK(c.alerts[0].for_duration == 0s);
  CHECK(c.alerts[0].keep_firing_for == 0s);
  const Config labelled = load_string(
      with_source("alerts: [{name: A, expr: x > 1, for: 30d, keep_firing_for: 5m, labels: {team: ops, tier: 1}}]\n"),
      "test.yaml");
  CHECK(labelled.alerts[0].for_duration == std::chrono::hours(24 * 30));
  CHECK(labelled.alerts[0].keep_firing_for == 5min);
  CHECK(labelled.alerts[0].labels == std::vector<std::pair<std::string, std::string>>{{"team", "ops"}, {"tier", "1"}});
}

TEST_CASE("config: alert errors name the offending node") {
  CHECK(windows_alerts_error_of(with_source("alerts: {name: A}\n")) == "test.yaml:2:9: alerts: expected a list of alerts");
  CHECK(alert_error_of({"{name: A, expr: x > 1, severity: page}"}) ==
        "test.yaml:3:28: unknown key 'severity' in alert (expected one of: annotations, expr, for, keep_firing_for, "
        "labels, name)");

  // name
  CHECK(alert_error_of({"{expr: x > 1}"}) == "test.yaml:3:5: alert: 'name' is required");
  CHECK(alert_error_of({"{name: High-Errors, expr: x > 1}"}) ==
        "test.yaml:3:12: alert name 'High-Errors' is not valid (expected [A-Za-z_][A-Za-z0-9_]*)");
  CHECK(alert_error_of({"{name: 'a:b', expr: x > 1}"}) ==
        "test.yaml:3:12: alert name 'a:b' is not valid (expected [A-Za-z_][A-Za-z0-9_]*)");
  CHECK(alert_error_of({"{name: A, expr: x > 1}", "{name: A, expr: y > 1}"}) ==
        "test.yaml:4:12: duplicate alert name 'A' (first at line 3)");

  // expr
  CHECK(alert_error_of({"{name: A}"}) == "test.yaml:3:5: alert A: 'expr' is required");
  CHECK(alert_error_of({"{name: A, expr: ''}"}) == "test.yaml:3:21: expr: expected a non-empty string");
  CHECK(alert_error_of({"{name: A, expr: [x]}"}) == "test.yaml:3:21: expr: expected a non-empty string");

  // for, keep_firing_for
  CHECK(alert_error_of({"{name: A, expr: x > 1, for: 31d}"}) ==
        "test.yaml:3:33: for: 31d is out of range (expected 0s .. 30d)");
  CHECK(alert_error_of({"{name: A, expr: x > 1, for: a while}"}) ==
        "test.yaml:3:33: for: bad duration 'a while' (expected e.g. 250ms, 5s, 1m, 2h, 1d)");
  CHECK(alert_error_of({"{name: A, expr: x > 1, keep_firing_for: 31d}"}) ==
        "test.yaml:3:45: keep_firing_for: 31d is out of range (expected 0s .. 30d)");

  // labels
  CHECK(alert_error_of({"{name: A, expr: x > 1, labels: [severity]}"}) ==
        "test.yaml:3:36: labels: expected a mapping of label: value");
  CHECK(alert_error_of({"{name: A, expr: x > 1, labels: {__name: x}}"}) ==
        "test.yaml:3:37: labels: bad name '__name' (expected [A-Za-z_][A-Za-z0-9_]*, not starting with __)");
  CHECK(alert_error_of({"{name: A, expr: x > 1, labels: {1st: x}}"}) ==
        "test.yaml:3:37: labels: bad name '1st' (expected [A-Za-z_][A-Za-z0-9_]*, not starting with __)");
  CHECK(alert_error_of({"{name: A, expr: x > 1, labels: {alertname: B}}"}) ==
        "test.yaml:3:37: labels: 'alertname' is the alert's name (expected another label)");
  CHECK(alert_error_of({"{name: A, expr: x > 1, labels: {team: a, team: b}}"}) ==
        "test.yaml:3:46: labels: duplicate label 'team'");
  CHECK(alert_error_of({"{name: A, expr: x > 1, labels: {team: [a]}}"}) ==
        "test.yaml:3:43: expected labels.team (a scalar)");

  // annotations
  CHECK(alert_error_of({"{name: A, expr: x > 1, annotations: summary}"}) ==
        "test.yaml:3:41: annotations: expected a mapping of name: template");
  CHECK(alert_error_of({"{name: A, expr: x > 1, annotations: {a-b: x}}"}) ==
        "test.yaml:3:42: annotations: bad name 'a-b' (expected [A-Za-z_][A-Za-z0-9_]*, not starting with __)");
  CHECK(alert_error_of({"{name: A, expr: x > 1, annotations: {s: x, s: y}}"}) ==
        "test.yaml:3:48: annotations: duplicate annotation 's'");
}

TEST_CASE("config: alerts without windows load (the alert compiler reports unknown windows)") {
  const Config c = load_string(with_source("alerts: [{name: A, expr: nowhere > 1}]\n"), "test.yaml");
  REQUIRE(c.alerts.size() == 1);
  CHECK(c.windows.empty());
}

TEST_CASE("config: alertmanager urls, intervals and their errors") {
  const Config one = load_string(with_source("alertmanager: {url: 'https://am.example:9093/prefix', timeout: 100ms, resend_interval: 1d}\n"),
                                 "test.yaml");
  CHECK(one.alertmanager.urls == std::vector<std::string>{"https://am.example:9093/prefix"});
  CHECK(one.alertmanager.url_positions == std::vector<std::pair<int, int>>{{2, 21}});
  CHECK(one.alertmanager.timeout == 100ms);
  CHECK(one.alertmanager.resend_interval == 24h);
  CHECK(one.alertmanager.line == 2);
  CHECK(one.alertmanager.column == 15);

  const Config cluster = load_string(with_source("alertmanager:\n"
                                                 "  urls:\n"
                                                 "    - http://a:9093\n"
                                                 "    - http://[::1]:9093\n"
                                                 "  timeout: 5m\n"),
                                     "test.yaml");
  CHECK(cluster.alertmanager.urls == std::vector<std::string>{"http://a:9093", "http://[::1]:9093"});
  CHECK(cluster.alertmanager.url_positions == std::vector<std::pair<int, int>>{{4, 7}, {5, 7}});
  CHECK(cluster.alertmanager.timeout == 5min);
  CHECK(cluster.alertmanager.resend_interval == 1min);

  auto error = [](const std::string& line) { return windows_alerts_error_of(with_source(line + "\n")); };
  CHECK(error("alertmanager: http://a:9093") == "test.yaml:2:15: alertmanager: expected a mapping");
  CHECK(error("alertmanager: {timeout: 5s}") ==
        "test.yaml:2:15: alertmanager: 'url' (or 'urls' for a cluster) is required");
  CHECK(error("alertmanager: {url: 'http://a:9093', urls: ['http://b:9093']}") ==
        "test.yaml:2:44: alertmanager: 'url' and 'urls' are exclusive (expected one of them)");
  CHECK(error("alertmanager: {urls: ['http://b:9093'], url: 'http://a:9093'}") ==
        "test.yaml:2:46: alertmanager: 'url' and 'urls' are exclusive (expected one of them)");
  CHECK(error("alertmanager: {urls: []}") == "test.yaml:2:22: alertmanager.urls: expected a non-empty list of URLs");
  CHECK(error("alertmanager: {urls: 'http://a:9093'}") ==
        "test.yaml:2:22: alertmanager.urls: expected a non-empty list of URLs");
  CHECK(error("alertmanager: {url: ''}") == "test.yaml:2:21: alertmanager.url: expected a non-empty string");
  CHECK(error("alertmanager: {url: 'ftp://a:9093'}") ==
        "test.yaml:2:21: alertmanager.url: expected an http:// or https:// URL, got 'ftp://a:9093'");
  CHECK(error("alertmanager: {url: 'a:9093'}") ==
        "test.yaml:2:21: alertmanager.url: expected an http:// or https:// URL, got 'a:9093'");
  CHECK(error("alertmanager: {url: 'http://'}") == "test.yaml:2:21: alertmanager.url: bad URL 'http://': missing host");
  CHECK(error("alertmanager: {url: 'http://:9093/'}") ==
        "test.yaml:2:21: alertmanager.url: bad URL 'http://:9093/': missing host");
  CHECK(error("alertmanager: {url: 'http://a:99999'}") ==
        "test.yaml:2:21: alertmanager.url: bad URL 'http://a:99999': invalid port \"99999\" (expected 1-65535)");
  CHECK(error("alertmanager: {urls: ['http://a:9093', 'http://b:9093', 'http://A:9093/']}") ==
        "test.yaml:2:57: alertmanager.urls: duplicate URL 'http://A:9093/' (the same Alertmanager as line 2)");
  CHECK(error("alertmanager: {url: 'http://a:9093', resend_interval: 500ms}") ==
        "test.yaml:2:55: resend_interval: 500ms is out of range (expected 1s .. 1d)");
  CHECK(error("alertmanager: {url: 'http://a:9093', resend_interval: 2d}") ==
        "test.yaml:2:55: resend_interval: 2d is out of range (expected 1s .. 1d)");
  CHECK(error("alertmanager: {url: 'http://a:9093', timeout: 50ms}") ==
        "test.yaml:2:47: timeout: 50ms is out of range (expected 100ms .. 5m)");
  CHECK(error("alertmanager: {url: 'http://a:9093', timeout: 6m}") ==
        "test.yaml:2:47: timeout: 6m is out of range (expected 100ms .. 5m)");
  CHECK(error("alertmanager: {url: 'http://a:9093', retries: 3}") ==
        "test.yaml:2:38: unknown key 'retries' in alertmanager (expected one of: resend_interval, timeout, url, urls)");
}

TEST_CASE("config: evaluation_interval and status") {
  CHECK(load_string(with_source("evaluation_interval: 10ms\n"), "test.yaml").evaluation_interval == 10ms);
  CHECK(load_string(with_source("evaluation_interval: 1h\n"), "test.yaml").evaluation_interval == 1h);
  CHECK(windows_alerts_error_of(with_source("evaluation_interval: 5ms\n")) ==
        "test.yaml:2:22: evaluation_interval: 5ms is out of range (expected 10ms .. 1h)");
  CHECK(windows_alerts_error_of(with_source("evaluation_interval: 2h\n")) ==
        "test.yaml:2:22: evaluation_interval: 2h is out of range (expected 10ms .. 1h)");

  CHECK(load_string(with_source("status: {unmatched_samples: 0}\n"), "test.yaml").status.unmatched_samples == 0);
  CHECK(load_string(with_source("status: {unmatched_samples: 1000}\n"), "test.yaml").status.unmatched_samples == 1000);
  CHECK(load_string(with_source("status: {}\n"), "test.yaml").status.unmatched_samples == 10);
  CHECK(windows_alerts_error_of(with_source("status: {unmatched_samples: 1001}\n")) ==
        "test.yaml:2:29: unmatched_samples: expected an integer 0 .. 1000, got '1001'");
  CHECK(windows_alerts_error_of(with_source("status: {unmatched_samples: -1}\n")) ==
        "test.yaml:2:29: unmatched_samples: expected an integer 0 .. 1000, got '-1'");
  CHECK(windows_alerts_error_of(with_source("status: {unmatched: 5}\n")) ==
        "test.yaml:2:10: unknown key 'unmatched' in status (expected one of: unmatched_samples)");
  CHECK(windows_alerts_error_of(with_source("status: 10\n")) == "test.yaml:2:9: status: expected a mapping");
}
