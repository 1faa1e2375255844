// The windows and alerts of a configuration, end to end inside the process: lines through
// a SourceMatcher into the windows, an Evaluation on a fake clock, what /metrics and
// /api/v1/alerts show, and the checkpoint of both.
#include <doctest/doctest.h>
#include <prometheus/registry.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/config_loader.h"
#include "core/clock.h"
#include "metrics/exposition.h"
#include "metrics/self_metrics.h"
#include "pipeline/analytics_board.h"
#include "pipeline/evaluation.h"
#include "pipeline/rule_pipeline.h"

namespace {

using namespace std::chrono_literals;
using logpulse::config::WindowAgg;

logpulse::config::Config evaluation_config() {
  logpulse::config::Config config;
  config.file = "test.yaml";
  logpulse::config::Source source;
  source.name = "app";
  source.paths = {"/dev/null"};
  config.sources.push_back(source);
  logpulse::config::Rule rule;
  rule.name = "access";
  rule.source = "app";
  rule.match = R"(^(?P<method>[A-Z]+) (?P<status>\d{3}) (?P<ms>[0-9.]+) (?P<client>\S+)$)";
  config.rules.push_back(rule);
  auto window = [](std::string name, WindowAgg agg) {
    logpulse::config::WindowConfig w;
    w.name = std::move(name);
    w.rule = "access";
    w.agg = agg;
    w.over = 60s;
    return w;
  };
  auto by_status = window("requests_1m", WindowAgg::kCount);
  by_status.by = {"status"};
  config.windows.push_back(by_status);
  auto errors = window("errors_1m", WindowAgg::kCount);
  errors.where = {{"status", "5..", 1, 1}};
  config.windows.push_back(errors);
  auto latency = window("latency_1m", WindowAgg::kQuantile);
  latency.of = "ms";
  latency.by = {"method"};
  latency.quantiles = {0.5, 0.99};
  config.windows.push_back(latency);
  auto clients = window("clients_1m", WindowAgg::kDistinct);
  clients.of = "client";
  config.windows.push_back(clients);

  logpulse::config::AlertConfig alert;
  alert.name = "TooManyErrors";
  alert.expr = "errors_1m > 2";
  alert.expr_line = 10, alert.expr_column = 11;
  alert.for_duration = 5s;
  alert.labels = {{"severity", "page"}};
  alert.annotations = {{"summary", "{{ $value }} errors", 12, 20, 0}};
  config.alerts.push_back(alert);
  return config;
}

struct Rig {
  explicit Rig(const logpulse::config::Config& config, logpulse::core::FakeClock& clock)
      : self_metrics(registry), rules(config, self_metrics, clock),
        evaluation(io, config, rules.windows(), std::move(rules.alert_rules()), board, self_metrics, clock) {}

  void lines(std::vector<std::string_view> lines) { rules.matcher(0).process(lines, 0); }
  std::string exposition() { return logpulse::metrics::render_text({&registry, &board}); }

  boost::asio::io_context io;
  prometheus::Registry registry;
  logpulse::metrics::SelfMetrics self_metrics;
  logpulse::pipeline::RulePipeline rules;
  logpulse::pipeline::AnalyticsBoard board;
  logpulse::pipeline::Evaluation evaluation;
};

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// The value of `series` (name and labels as exposed), or NaN when it is not there.
double value_of(const std::string& text, const std::string& series) {
  const auto at = ("\n" + text).find("\n" + series + " ");
  if (at == std::string::npos) return std::nan("");
  return std::stod(text.substr(at + series.size() + 1));
}

}  // namespace

TEST_CASE("windows fed by a rule's matches are exported as gauges named after them") {
  auto config = evaluation_config();
  logpulse::core::FakeClock clock;
  Rig rig(config, clock);
  rig.evaluation.start();
  rig.lines({"GET 200 10 a", "GET 500 20 b", "POST 500 30 a", "GET 200 40 c", "not a request"});
  rig.evaluation.tick();
  const std::string text = rig.exposition();
  INFO(text);
  CHECK(has_line(text, "# TYPE requests_1m gauge"));
  CHECK(has_line(text, "requests_1m{status=\"200\"} 2"));
  CHECK(has_line(text, "requests_1m{status=\"500\"} 2"));
  CHECK(has_line(text, "errors_1m 2"));
  // Quantiles: within 1% of the exact value.
  CHECK(value_of(text, "latency_1m{method=\"POST\",quantile=\"0.5\"}") == doctest::Approx(30).epsilon(0.01));
  CHECK(value_of(text, "latency_1m{method=\"GET\",quantile=\"0.5\"}") == doctest::Approx(20).epsilon(0.01));
  // The exact quantile is the value of rank floor(q * (n - 1)) (README): of 10 20 40, 20.
  CHECK(value_of(text, "latency_1m{method=\"GET\",quantile=\"0.99\"}") == doctest::Approx(20).epsilon(0.01));
  CHECK(has_line(text, "clients_1m 3"));
  CHECK(has_line(text, "logpulse_alerts{state=\"pending\"} 0"));

  // Past the window, the label sets leave the exposition.
  clock.advance(61s);
  rig.evaluation.tick();
  const std::string later = rig.exposition();
  CHECK(later.find("requests_1m{") == std::string::npos);
  CHECK(later.find("latency_1m{") == std::string::npos);
}

TEST_CASE("a value that is not a number is counted as a value error of the window, not added") {
  auto config = evaluation_config();
  logpulse::core::FakeClock clock;
  Rig rig(config, clock);
  rig.lines({"GET 200 10 a", "GET 200 1.2.3 a"});
  rig.evaluation.tick();
  const std::string text = rig.exposition();
  CHECK(value_of(text, "latency_1m{method=\"GET\",quantile=\"0.5\"}") == doctest::Approx(10).epsilon(0.01));
  CHECK(has_line(text, "logpulse_value_errors_total{metric=\"latency_1m\",rule=\"access\"} 1"));
}

TEST_CASE("an alert goes pending, fires after `for`, and resolves when its window slides past") {
  auto config = evaluation_config();
  logpulse::core::FakeClock clock;
  Rig rig(config, clock);
  rig.evaluation.start();
  rig.lines({"GET 500 1 a", "GET 500 1 a", "GET 500 1 a"});
  clock.advance(1s);
  rig.evaluation.tick();
  REQUIRE(rig.board.alerts().size() == 1);
  CHECK(rig.board.alerts()[0].state == logpulse::alert::AlertState::kPending);
  CHECK(rig.board.alerts_json().find("\"state\":\"pending\"") != std::string::npos);
  CHECK(has_line(rig.exposition(),
                 "ALERTS{alertname=\"TooManyErrors\",alertstate=\"pending\",severity=\"page\"} 1"));

  clock.advance(5s);
  rig.evaluation.tick();
  REQUIRE(rig.board.alerts().size() == 1);
  CHECK(rig.board.alerts()[0].state == logpulse::alert::AlertState::kFiring);
  const std::string json = rig.board.alerts_json();
  CHECK(json.find("\"summary\":\"3 errors\"") != std::string::npos);
  const std::string text = rig.exposition();
  CHECK(has_line(text, "ALERTS{alertname=\"TooManyErrors\",alertstate=\"firing\",severity=\"page\"} 1"));
  CHECK(has_line(text, "logpulse_alerts{state=\"firing\"} 1"));

  clock.advance(60s);
  rig.evaluation.tick();
  CHECK(rig.board.alerts().empty());
  CHECK(rig.exposition().find("ALERTS{") == std::string::npos);
}

TEST_CASE("windows and alert states survive a checkpoint: the alert stays firing, the window full") {
  auto config = evaluation_config();
  logpulse::core::FakeClock clock;
  logpulse::tail::CheckpointState state;
  logpulse::alert::WallTime active_at;
  {
    Rig first(config, clock);
    first.evaluation.start();
    first.lines({"GET 500 1 a", "GET 500 1 b", "GET 500 1 c"});
    clock.advance(1s);  // alerts are evaluated every evaluation_interval (1s)
    first.evaluation.tick();
    clock.advance(6s);
    first.evaluation.tick();
    REQUIRE(first.board.alerts().size() == 1);
    REQUIRE(first.board.alerts()[0].state == logpulse::alert::AlertState::kFiring);
    active_at = first.board.alerts()[0].active_at;
    state = first.rules.save();
    state.alert_lines = first.evaluation.save();
  }
  clock.advance(10s);
  Rig second(config, clock);
  second.rules.restore(state, 0);
  second.evaluation.restore(state.alert_lines);
  second.evaluation.start();
  REQUIRE(second.board.alerts().size() == 1);
  CHECK(second.board.alerts()[0].state == logpulse::alert::AlertState::kFiring);
  CHECK(second.board.alerts()[0].active_at == active_at);
  CHECK(has_line(second.exposition(), "errors_1m 3"));
  CHECK(has_line(second.exposition(), "clients_1m 3"));
}

TEST_CASE("configuration mistakes in windows and alerts name FILE:LINE:COLUMN") {
  logpulse::core::FakeClock clock;
  prometheus::Registry registry;
  logpulse::metrics::SelfMetrics self_metrics(registry);
  auto error_for = [&](const logpulse::config::Config& config) -> std::string {
    try {
      logpulse::pipeline::RulePipeline rules(config, self_metrics, clock);
    } catch (const logpulse::config::ConfigError& e) {
      return e.what();
    }
    return "";
  };
  SUBCASE("by names no capture") {
    auto config = evaluation_config();
    config.windows[0].by = {"code"};
    config.windows[0].by_line = 7, config.windows[0].by_column = 9;
    CHECK(error_for(config).rfind("test.yaml:7:9: rule access: window requests_1m: by 'code' names no capture", 0) == 0);
  }
  SUBCASE("a bad where pattern") {
    auto config = evaluation_config();
    config.windows[1].where = {{"status", "5(", 8, 30}};
    CHECK(error_for(config).rfind("test.yaml:8:30: rule access: window errors_1m: where.status: bad pattern", 0) == 0);
  }
  SUBCASE("an unknown window in an expression, at its column") {
    auto config = evaluation_config();
    config.alerts[0].expr = "errors_5m > 2";
    CHECK(error_for(config).rfind("test.yaml:10:11: ", 0) == 0);
    config.alerts[0].expr = "2 < errors_5m";
    CHECK(error_for(config).rfind("test.yaml:10:15: ", 0) == 0);
  }
}

TEST_CASE("evaluation cost with 10,000 label sets (printed, not asserted)") {
  auto config = evaluation_config();
  config.windows[0].by = {"client"};  // requests_1m: one label set per client
  config.alerts[0].expr = "requests_1m > 1";
  logpulse::core::FakeClock clock;
  Rig rig(config, clock);
  std::vector<std::string> storage;
  for (int i = 0; i < 10000; ++i) storage.push_back("GET 200 " + std::to_string(i % 97) + " c" + std::to_string(i));
  for (int i = 0; i < 5000; ++i) storage.push_back("GET 500 3 c" + std::to_string(i));  // 5,000 alerting
  std::vector<std::string_view> lines(storage.begin(), storage.end());
  rig.lines(lines);
  rig.evaluation.tick();
  clock.advance(1s);
  const auto start = std::chrono::steady_clock::now();
  rig.evaluation.tick();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("one tick (4 windows, 10,000 label sets in one, 5,000 pending alerts): " << ms << " ms");
  CHECK(rig.board.alerts().size() == 5000);
}

TEST_CASE("a window's label sets beyond max_series are dropped and counted like a metric's") {
  auto config = evaluation_config();
  config.windows[0].max_series = 2;  // requests_1m by status
  logpulse::core::FakeClock clock;
  Rig rig(config, clock);
  rig.evaluation.start();
  rig.lines({"GET 200 1 a", "GET 404 1 a", "GET 500 1 a", "GET 500 1 a", "GET 200 1 a"});
  rig.evaluation.tick();
  const std::string text = rig.exposition();
  CHECK(has_line(text, "requests_1m{status=\"200\"} 2"));
  CHECK(has_line(text, "requests_1m{status=\"404\"} 1"));
  CHECK(text.find("requests_1m{status=\"500\"}") == std::string::npos);
  CHECK(has_line(text, "logpulse_series_dropped_total{metric=\"requests_1m\"} 2"));
}
