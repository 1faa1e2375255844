#include <doctest/doctest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "config/config_loader.h"
#include "metrics/exposition.h"
#include "pipeline/rule_pipeline.h"

using namespace logpulse;

namespace {
// A configuration, its rules compiled, and the exposition after some lines.
struct Harness {
  prometheus::Registry registry;
  metrics::SelfMetrics self{registry};
  config::Config config;
  std::unique_ptr<pipeline::RulePipeline> rules;

  explicit Harness(const std::string& yaml) : config(config::load_string(yaml, "t.yaml")) {
    rules = std::make_unique<pipeline::RulePipeline>(config, self);
  }
  void feed(std::vector<std::string> lines, std::int64_t now_ms = 0) {
    std::vector<std::string_view> views(lines.begin(), lines.end());
    rules->matcher(0).process(views, now_ms);
  }
  std::string text() { return metrics::render_text({&registry, &rules->store()}); }
  bool has(const std::string& sample) { return text().find(sample + "\n") != std::string::npos; }
};

const char* kAccess = R"(
sources: [{name: s, paths: [/dev/null]}]
rules:
  - name: access
    source: s
    match: '^%{IP:client} (?P<method>[A-Z]+) (?P<status>\d+) (?P<bytes>\S+) (?P<secs>\S+)$'
    metrics:
      - {name: requests_total, type: counter, labels: [method, status]}
      - {name: bytes_total, type: counter, value: bytes, labels: [status, {env: prod}]}
      - {name: last_bytes, type: gauge, value: bytes}
      - {name: seconds, type: histogram, value: secs, buckets: [0.1, 1]}
  - name: errors
    source: s
    match: ' 5\d\d '
    metrics:
      - {name: errors_total, type: counter}
  - name: rest
    source: s
    unmatched: true
    metrics:
      - {name: unparsed_total, type: counter}
)";
}  // namespace

TEST_CASE("every matching rule fires; counters, gauges and le histograms") {
  Harness h(kAccess);
  h.feed({"1.2.3.4 GET 200 100 0.1", "1.2.3.4 GET 500 50 0", "::1 POST 200 7 5", "junk", "1.2.3.4 GET 200 - 1"});
  CHECK(h.has("requests_total{method=\"GET\",status=\"200\"} 2"));
  CHECK(h.has("requests_total{method=\"GET\",status=\"500\"} 1"));
  CHECK(h.has("requests_total{method=\"POST\",status=\"200\"} 1"));
  CHECK(h.has("bytes_total{env=\"prod\",status=\"200\"} 107"));
  CHECK(h.has("last_bytes 7"));
  CHECK(h.has("errors_total 1"));
  CHECK(h.has("unparsed_total 1"));
  CHECK(h.has("seconds_bucket{le=\"0.1\"} 2"));  // 0.1 (equal to the bound) and 0
  CHECK(h.has("seconds_bucket{le=\"1\"} 3"));
  CHECK(h.has("seconds_bucket{le=\"+Inf\"} 4"));
  CHECK(h.has("seconds_count 4"));
  CHECK(h.has("logpulse_lines_matched_total{rule=\"access\"} 4"));
  CHECK(h.has("logpulse_lines_matched_total{rule=\"errors\"} 1"));
  CHECK(h.has("logpulse_lines_unmatched_total{source=\"s\"} 1"));
  // "-" is no number: bytes_total and last_bytes skip that line, and say so.
  CHECK(h.has("logpulse_value_errors_total{metric=\"bytes_total\",rule=\"access\"} 1"));
  CHECK(h.has("logpulse_value_errors_total{metric=\"last_bytes\",rule=\"access\"} 1"));
}

TEST_CASE("a stray byte matches \\S and reaches labels as U+FFFD") {
  Harness h(R"(
sources: [{name: s, paths: [/dev/null]}]
rules:
  - {name: r, source: s, match: '^(?P<word>\S+) .$', metrics: [{name: words_total, type: counter, labels: [word]}]}
)");
  h.feed({std::string("caf\xe9 \xff"), "ok x"});
  CHECK(h.has("words_total{word=\"caf\xEF\xBF\xBD\"} 1"));
  CHECK(h.has("words_total{word=\"ok\"} 1"));
}

TEST_CASE("max_series caps label sets and counts the refused updates") {
  Harness h(R"(
sources: [{name: s, paths: [/dev/null]}]
rules:
  - {name: r, source: s, match: '^(?P<id>\d+)$', max_series: 2, metrics: [{name: ids_total, type: counter, labels: [id]}]}
)");
  h.feed({"1", "2", "3", "1", "4"});
  CHECK(h.has("ids_total{id=\"1\"} 2"));
  CHECK(h.has("ids_total{id=\"2\"} 1"));
  CHECK(h.text().find("ids_total{id=\"3\"}") == std::string::npos);
  CHECK(h.has("logpulse_series_dropped_total{metric=\"ids_total\"} 2"));
}

TEST_CASE("expire_after removes idle label sets only") {
  Harness h(R"(
sources: [{name: s, paths: [/dev/null]}]
rules:
  - {name: r, source: s, match: '^(?P<id>\d+)$', expire_after: 10s, metrics: [{name: ids_total, type: counter, labels: [id]}]}
)");
  h.feed({"1", "2"}, 0);
  h.feed({"2"}, 8000);
  CHECK(h.rules->store().expire(12000) == 1);
  CHECK(h.text().find("ids_total{id=\"1\"}") == std::string::npos);
  CHECK(h.has("ids_total{id=\"2\"} 2"));
}

TEST_CASE("json sources: nested fields are captures; malformed lines are counted") {
  Harness h(R"(
sources: [{name: s, paths: [/dev/null], format: json}]
rules:
  - {name: all, source: s, metrics: [{name: reqs_total, type: counter, labels: [http.method, level]}]}
  - {name: slow, source: s, field: msg, match: '^slow (?P<ms>\d+)', metrics: [{name: slow_ms, type: gauge, value: ms}]}
)");
  h.feed({R"({"level":"info","http":{"method":"GET"},"msg":"slow 250"})", "{not json", R"({"level":"warn","http":{"method":"PUT"}})"});
  CHECK(h.has("reqs_total{http_method=\"GET\",level=\"info\"} 1"));
  CHECK(h.has("reqs_total{http_method=\"PUT\",level=\"warn\"} 1"));
  CHECK(h.has("slow_ms 250"));
  CHECK(h.has("logpulse_json_errors_total{source=\"s\"} 1"));
  CHECK(h.has("logpulse_lines_unmatched_total{source=\"s\"} 1"));
  CHECK(h.has("logpulse_lines_matched_total{rule=\"slow\"} 1"));
}

TEST_CASE("multiline joins continuation lines and flushes on the next start or a timeout") {
  Harness h(R"(
sources: [{name: s, paths: [/dev/null], multiline: {start: '^\S', timeout: 1s}}]
rules:
  - {name: traces, source: s, match: '(?s)^Exception.*\n\s+at ', metrics: [{name: traces_total, type: counter}]}
  - {name: records, source: s, match: '(?s).', metrics: [{name: records_total, type: counter}]}
)");
  h.feed({"Exception: boom", "    at a.b(C.java:1)", "    at c.d(E.java:2)", "next record"}, 0);
  CHECK(h.has("traces_total 1"));
  CHECK(h.has("records_total 1"));
  CHECK(h.rules->matcher(0).has_pending_record());
  h.rules->matcher(0).flush_idle(500);
  CHECK(h.has("records_total 1"));
  h.rules->matcher(0).flush_idle(1000);
  CHECK(h.has("records_total 2"));
}

TEST_CASE("rule errors name the place") {
  auto error_of = [](const std::string& yaml) {
    try {
      Harness h(yaml);
    } catch (const config::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error_of("sources: [{name: s, paths: [x]}]\nrules:\n  - {name: r, source: s, match: '(', metrics: []}\n")
            .rfind("t.yaml:3:33: rule r: bad match pattern", 0) == 0);
  CHECK(error_of("sources: [{name: s, paths: [x]}]\nrules:\n  - {name: r, source: s, match: '(?P<a>x)', metrics: [{name: m, type: counter, labels: [b]}]}\n")
            .find("label 'b' names no capture of the match (captures: a)") != std::string::npos);
  CHECK(error_of("sources: [{name: s, paths: [x]}]\nrules:\n  - {name: r, source: s, match: '%{NOPE}', metrics: []}\n")
            .find("NOPE") != std::string::npos);
  CHECK(error_of("sources: [{name: s, paths: [x]}]\nrules:\n  - {name: r, source: t, match: 'x', metrics: []}\n")
            .find("unknown source 't'") != std::string::npos);
}

TEST_CASE("rule metric state survives a save and restore") {
  Harness first(kAccess);
  first.feed({"1.2.3.4 GET 200 100 0.5", "1.2.3.4 GET 200 5 2"});
  tail::CheckpointState state = first.rules->save();
  Harness second(kAccess);
  second.rules->restore(state, 0);
  second.feed({"1.2.3.4 GET 200 1 0.05"});
  CHECK(second.has("requests_total{method=\"GET\",status=\"200\"} 3"));
  CHECK(second.has("bytes_total{env=\"prod\",status=\"200\"} 106"));
  CHECK(second.has("seconds_bucket{le=\"0.1\"} 1"));
  CHECK(second.has("seconds_bucket{le=\"1\"} 2"));
  CHECK(second.has("seconds_count 3"));
  CHECK(second.has("seconds_sum 2.55"));
}

namespace {
std::string compile_error(const std::string& yaml) {
  try {
    Harness h(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("errors found when the rules compile name FILE:LINE:COLUMN and what was expected") {
  CHECK(compile_error("sources:\n  - name: s\n    paths: [x]\n    multiline: {start: '(x'}\n") ==
        "t.yaml:4:24: source s: bad multiline.start: missing ): (x (expected an RE2 pattern)");
  // The match's own place, for expansion errors and RE2's.
  CHECK(compile_error("sources: [{name: s, paths: [x]}]\nrules:\n  - name: r\n    source: s\n    match: '%{NOPE}'\n")
            .rfind("t.yaml:5:12: rule r: match: unknown pattern name \"NOPE\"", 0) == 0);
  std::string doubling = "patterns:\n";
  for (int i = 0; i < 24; ++i)
    doubling += "  P" + std::to_string(i) + ": '%{P" + std::to_string(i + 1) + "}%{P" + std::to_string(i + 1) + "}'\n";
  doubling += "  P24: x\nsources: [{name: s, paths: [x]}]\nrules:\n  - name: r\n    source: s\n    match: '%{P0}'\n";
  CHECK(compile_error(doubling).rfind("t.yaml:31:12: rule r: match: pattern too large", 0) == 0);
  // Within the expansion bound but beyond RE2's memory: RE2's own "pattern too large".
  auto repeated = [](const std::string& piece, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += piece;
    return out;
  };
  const std::string big = "sources: [{name: s, paths: [x]}]\nrules:\n  - name: r\n    source: s\n    match: '" +
                          repeated("a{1000}", 1000) + "'\n";
  CHECK(compile_error(big).rfind("t.yaml:5:12: rule r: bad match pattern: pattern too large", 0) == 0);
  // Rules that compile one by one, but not together in one RE2::Set: the source's place.
  std::string set = "sources:\n  - {name: s, paths: [x]}\nrules:\n";
  for (const char* letter : {"a", "b"})
    set += std::string("  - {name: r") + letter + ", source: s, match: '" + repeated(std::string(letter) + "{1000}", 100) + "'}\n";
  CHECK(compile_error(set).rfind("t.yaml:2:5: source s: pattern too large:", 0) == 0);
}

TEST_CASE("a metric with very many constant labels compiles in linear time") {
  // 100,000 constant labels took 35 s in --check (a search through the labels per label).
  // Built without YAML, so only compiling is timed. Ten times the labels must cost about
  // ten times the time, not a hundred: a ratio, the best of three of each, so that neither
  // a sanitizer's slowness nor a loaded machine decides the outcome.
  prometheus::Registry registry;
  metrics::SelfMetrics self{registry};
  auto config_with = [](int n) {
    config::Config config = config::load_string(
        "sources: [{name: s, paths: [x]}]\nrules: [{name: r, source: s, match: x, metrics: [{name: m, type: counter}]}]\n",
        "t.yaml");
    auto& labels = config.rules[0].metrics[0].labels;
    for (int i = 0; i < n; ++i) labels.push_back({"l" + std::to_string(i), "", "v"});
    return config;
  };
  auto best_of_three = [&](const config::Config& config) {
    double best = 1e9;
    for (int round = 0; round < 3; ++round) {
      const auto start = std::chrono::steady_clock::now();
      pipeline::RulePipeline rules(config, self);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return best;
  };
  const config::Config small = config_with(10'000), large = config_with(100'000);
  const double ratio = best_of_three(large) / best_of_three(small);
  MESSAGE("100,000 labels / 10,000 labels: ", ratio, " times the time (linear: 10, quadratic: 100)");
  CHECK(ratio < 35);
  pipeline::RulePipeline rules(large, self);
  std::vector<std::string_view> lines = {"x"};
  rules.matcher(0).process(lines, 0);
  CHECK(metrics::render_text({&rules.store()}).find(",l99999=\"v\"} 1\n") != std::string::npos);
}
