#include <doctest/doctest.h>
#include <simdjson.h>

#include <chrono>

#include "alert/alert_json.h"
#include "alert/alert_series.h"
#include "alert/evaluator.h"
#include "core/clock.h"

using namespace logpulse;
using namespace logpulse::alert;
using namespace std::chrono_literals;

namespace {

const core::Clock::WallTime kT0{std::chrono::seconds(1767225600)};  // 2026-01-01T00:00:00Z

Alert firing_alert() {
  Alert a;
  a.labels = {{"alertname", "HighErrorRate"}, {"severity", "page"}, {"status", "500"}};
  a.annotations = {{"description", "say \"hi\"\n"}, {"summary", "rate is 6.5/s"}};
  a.state = AlertState::kFiring;
  a.value = 6.5;
  a.active_at = kT0 + 500ms;
  a.fired_at = kT0 + 30s;
  return a;
}

}  // namespace

TEST_CASE("alert json: /api/v1/alerts has Prometheus' exact shape") {
  Alert pending;
  pending.labels = {{"alertname", "Slow"}};
  pending.state = AlertState::kPending;
  pending.value = 1;
  pending.active_at = kT0;
  Alert held = firing_alert();
  held.keep_firing_since = kT0 + 40s;
  CHECK(api_alerts_json({}) == R"({"status":"success","data":{"alerts":[]}})");
  CHECK(api_alerts_json({firing_alert(), pending, held}) ==
        R"({"status":"success","data":{"alerts":[)"
        R"({"labels":{"alertname":"HighErrorRate","severity":"page","status":"500"},)"
        R"("annotations":{"description":"say \"hi\"\n","summary":"rate is 6.5/s"},)"
        R"("state":"firing","activeAt":"2026-01-01T00:00:00.5Z","value":"6.5e+00"},)"
        R"({"labels":{"alertname":"Slow"},"annotations":{},"state":"pending",)"
        R"("activeAt":"2026-01-01T00:00:00Z","value":"1e+00"},)"
        R"({"labels":{"alertname":"HighErrorRate","severity":"page","status":"500"},)"
        R"("annotations":{"description":"say \"hi\"\n","summary":"rate is 6.5/s"},)"
        R"("state":"firing","activeAt":"2026-01-01T00:00:00.5Z","keepFiringSince":"2026-01-01T00:00:40Z",)"
        R"("value":"6.5e+00"}]}})");
}

TEST_CASE("alert json: the Alertmanager v2 body parses back with startsAt and endsAt") {
  Notification fired{firing_alert(), NotificationReason::kFired, kT0 + 30s, kT0 + 30s + 4min};
  Notification resolved{firing_alert(), NotificationReason::kResolved, kT0 + 30s, kT0 + 95s};
  resolved.alert.state = AlertState::kInactive;
  resolved.alert.labels = {{"alertname", "Other"}, {"path", "/\xff"}};  // invalid UTF-8 is repaired
  const std::string body = alertmanager_body({fired, resolved}, "http://host:9273/");

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(body).get(doc) == simdjson::SUCCESS);
  simdjson::dom::array alerts;
  REQUIRE(doc.get_array().get(alerts) == simdjson::SUCCESS);
  REQUIRE(alerts.size() == 2);
  auto field = [&](std::size_t i, const char* a, const char* b = nullptr) {
    std::string_view v;
    auto e = alerts.at(i)[a];
    if (b) e = e[b];
    REQUIRE(e.get_string().get(v) == simdjson::SUCCESS);
    return std::string(v);
  };
  CHECK(field(0, "labels", "alertname") == "HighErrorRate");
  CHECK(field(0, "labels", "status") == "500");
  CHECK(field(0, "annotations", "summary") == "rate is 6.5/s");
  CHECK(field(0, "annotations", "description") == "say \"hi\"\n");
  CHECK(field(0, "startsAt") == "2026-01-01T00:00:30.000Z");
  CHECK(field(0, "endsAt") == "2026-01-01T00:04:30.000Z");
  CHECK(field(0, "generatorURL") == "http://host:9273/");
  CHECK(field(1, "labels", "path") == "/\xef\xbf\xbd");
  CHECK(field(1, "endsAt") == "2026-01-01T00:01:35.000Z");
  simdjson::dom::object first;
  REQUIRE(alerts.at(0).get_object().get(first) == simdjson::SUCCESS);
  CHECK(first.size() == 5);

  CHECK(alertmanager_body({}, "") == "[]");
  CHECK(alertmanager_body({fired}, "").find("generatorURL") == std::string::npos);
}

TEST_CASE("alert series: ALERTS, ALERTS_FOR_STATE and logpulse_alerts{state}") {
  Alert pending;
  pending.labels = {{"alertname", "Slow"}, {"method", "GET"}};
  pending.state = AlertState::kPending;
  pending.active_at = kT0 + 1500ms;
  Alert resolved = firing_alert();
  resolved.state = AlertState::kInactive;
  const std::vector<Alert> alerts = {firing_alert(), pending, resolved};

  const auto series = alerts_series(alerts);
  REQUIRE(series.size() == 2);
  CHECK(series[0].labels ==
        Labels{{"alertname", "HighErrorRate"}, {"alertstate", "firing"}, {"severity", "page"}, {"status", "500"}});
  CHECK(series[0].value == 1);
  CHECK(series[1].labels == Labels{{"alertname", "Slow"}, {"alertstate", "pending"}, {"method", "GET"}});

  const auto for_state = alerts_for_state_series(alerts);
  REQUIRE(for_state.size() == 2);
  CHECK(for_state[0].labels == firing_alert().labels);
  CHECK(for_state[0].value == 1767225600.0);
  CHECK(for_state[1].value == 1767225601.0);

  const auto counts = alert_count_series(alerts);
  REQUIRE(counts.size() == 2);
  CHECK(counts[0].labels == Labels{{"state", "pending"}});
  CHECK(counts[0].value == 1);
  CHECK(counts[1].labels == Labels{{"state", "firing"}});
  CHECK(counts[1].value == 1);
  CHECK(alert_count_series({})[1].value == 0);
}

TEST_CASE("alert json: an evaluator's alerts end to end on a FakeClock") {
  core::FakeClock clock;
  RuleDefinition d;
  d.name = "HighErrorRate";
  d.expr = "http_5xx_1m > 5";
  d.expr_at = {"t.yaml", 1, 1, ScalarStyle::kPlain};
  d.annotations = {{"summary", "{{ $value | printf \"%.1f\" }}/s", {"t.yaml", 2, 1, ScalarStyle::kPlain}}};
  std::vector<AlertRule> rules;
  rules.push_back(AlertRule::compile(d, {{"http_5xx_1m", {"status"}, {}}}));
  Evaluator evaluator(std::move(rules), {2min, 1s}, clock);
  const Vector window = {{{{"status", "500"}}, 6}};
  const auto sent = evaluator.evaluate([&](const WindowRef&) { return &window; });
  CHECK(alertmanager_body(sent, "") ==
        R"([{"labels":{"alertname":"HighErrorRate","status":"500"},"annotations":{"summary":"6.0/s"},)"
        R"("startsAt":"2026-01-01T00:00:00.000Z","endsAt":"2026-01-01T00:08:00.000Z"}])");
  CHECK(api_alerts_json(evaluator.active_alerts()) ==
        R"({"status":"success","data":{"alerts":[{"labels":{"alertname":"HighErrorRate","status":"500"},)"
        R"("annotations":{"summary":"6.0/s"},"state":"firing","activeAt":"2026-01-01T00:00:00Z","value":"6e+00"}]}})");
}
