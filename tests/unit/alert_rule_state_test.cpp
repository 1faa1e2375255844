#include <doctest/doctest.h>

#include <chrono>
#include <map>

#include "alert/alert_checkpoint.h"
#include "alert/evaluator.h"
#include "core/clock.h"

using namespace logpulse;
using namespace logpulse::alert;
using namespace std::chrono_literals;

namespace {

const std::vector<WindowShape> kWindows = {{"http_5xx_1m", {"status"}, {}}};

RuleDefinition high_error_rate(std::chrono::milliseconds for_duration,
                               std::chrono::milliseconds keep_firing_for = 0ms) {
  RuleDefinition d;
  d.name = "HighErrorRate";
  d.expr = "http_5xx_1m > 5";
  d.expr_at = {"t.yaml", 4, 11, ScalarStyle::kPlain};
  d.for_duration = for_duration;
  d.keep_firing_for = keep_firing_for;
  d.labels = {{"severity", "page"}};
  d.annotations = {
      {"summary", "{{ $labels.status }} rate is {{ $value }}/s", {"t.yaml", 8, 20, ScalarStyle::kDoubleQuoted}}};
  return d;
}

Labels status(const std::string& s) { return {{"status", s}}; }
Labels alert_labels(const std::string& s) {
  return {{"alertname", "HighErrorRate"}, {"severity", "page"}, {"status", s}};
}

// One rule over one window whose values the test sets; time moves only when told.
struct Bench {
  core::FakeClock clock;
  Vector window;
  DeliveryTiming timing{60s, 1s};
  std::unique_ptr<Evaluator> evaluator;
  core::Clock::WallTime t0 = clock.wall();

  explicit Bench(const RuleDefinition& d) { start(d); }
  void start(const RuleDefinition& d) {
    std::vector<AlertRule> rules;
    rules.push_back(AlertRule::compile(d, kWindows));
    evaluator = std::make_unique<Evaluator>(std::move(rules), timing, clock);
  }
  std::vector<Notification> step(std::chrono::milliseconds by = 0ms) {
    clock.advance(by);
    return evaluator->evaluate([this](const WindowRef&) { return &window; });
  }
  std::vector<Alert> active() const { return evaluator->active_alerts(); }
};

}  // namespace

TEST_CASE("alert state: pending, firing after `for`, resent, resolved and kept 15 minutes") {
  Bench b(high_error_rate(30s));
  b.window = {{status("500"), 6}, {status("404"), 1}};
  CHECK(b.step().empty());
  auto active = b.active();
  REQUIRE(active.size() == 1);
  CHECK(active[0].state == AlertState::kPending);
  CHECK(active[0].labels == alert_labels("500"));
  CHECK(active[0].active_at == b.t0);
  CHECK(active[0].annotations == Labels{{"summary", "500 rate is 6/s"}});

  CHECK(b.step(29s).empty());
  CHECK(b.active()[0].state == AlertState::kPending);

  b.window = {{status("500"), 7.5}};
  auto sent = b.step(1s);  // t0 + 30s: `for` has passed
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].reason == NotificationReason::kFired);
  CHECK(sent[0].alert.state == AlertState::kFiring);
  CHECK(sent[0].alert.value == 7.5);
  CHECK(sent[0].alert.annotations == Labels{{"summary", "500 rate is 7.5/s"}});
  CHECK(sent[0].starts_at == b.t0 + 30s);
  CHECK(sent[0].ends_at == b.t0 + 30s + 4 * 60s);  // 4 * max(resend 1m, evaluation 1s)
  CHECK(b.active()[0].active_at == b.t0);
  CHECK(b.active()[0].fired_at == b.t0 + 30s);

  CHECK(b.step(1s).empty());
  CHECK(b.step(59s).empty());  // exactly resend_interval after the send: not yet
  sent = b.step(1s);           // more than resend_interval: re-sent
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].reason == NotificationReason::kResent);
  CHECK(sent[0].starts_at == b.t0 + 30s);
  CHECK(sent[0].ends_at == b.t0 + 91s + 240s);

  b.window.clear();
  sent = b.step(4s);  // t0 + 95s: the condition cleared
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].reason == NotificationReason::kResolved);
  CHECK(sent[0].alert.state == AlertState::kInactive);
  CHECK(sent[0].ends_at == b.t0 + 95s);
  CHECK(b.active().empty());

  CHECK(b.step(60s).empty());
  sent = b.step(1s);  // a resolved alert is re-sent too, with the same endsAt
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].reason == NotificationReason::kResent);
  CHECK(sent[0].ends_at == b.t0 + 95s);

  REQUIRE(b.evaluator->save().size() == 1);
  b.step(15min - 61s);  // resolved exactly 15 minutes ago: still kept
  CHECK(b.evaluator->save().size() == 1);
  b.step(1s);
  CHECK(b.evaluator->save().empty());
}

TEST_CASE("alert state: a pending alert whose condition clears is forgotten, never sent") {
  Bench b(high_error_rate(30s));
  b.window = {{status("500"), 6}};
  CHECK(b.step().empty());
  b.window.clear();
  CHECK(b.step(10s).empty());
  CHECK(b.active().empty());
  CHECK(b.evaluator->save().empty());
  b.window = {{status("500"), 6}};
  CHECK(b.step(10s).empty());
  CHECK(b.active()[0].active_at == b.t0 + 20s);  // `for` starts over
}

TEST_CASE("alert state: for: 0s fires at the first evaluation") {
  Bench b(high_error_rate(0s));
  b.window = {{status("500"), 6}, {status("503"), 9}};
  auto sent = b.step();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].alert.labels == alert_labels("500"));
  CHECK(sent[1].alert.labels == alert_labels("503"));
  for (const auto& n : sent) {
    CHECK(n.reason == NotificationReason::kFired);
    CHECK(n.starts_at == b.t0);
    CHECK(n.alert.active_at == b.t0);
  }
  // One label set clears, the other goes on: one alert per label set.
  b.window = {{status("503"), 9}};
  sent = b.step(1s);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].alert.labels == alert_labels("500"));
  CHECK(sent[0].reason == NotificationReason::kResolved);
  REQUIRE(b.active().size() == 1);
  CHECK(b.active()[0].labels == alert_labels("503"));
}

TEST_CASE("alert state: keep_firing_for holds a firing alert after the condition clears") {
  Bench b(high_error_rate(0s, 10s));
  b.window = {{status("500"), 6}};
  CHECK(b.step().size() == 1);
  b.window.clear();
  CHECK(b.step(5s).empty());  // cleared at t0 + 5s
  REQUIRE(b.active().size() == 1);
  CHECK(b.active()[0].state == AlertState::kFiring);
  CHECK(b.active()[0].keep_firing_since == b.t0 + 5s);
  CHECK(b.step(9s).empty());  // 9s after: still firing
  CHECK(b.active()[0].state == AlertState::kFiring);
  auto sent = b.step(1s);  // 10s after: resolved
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].reason == NotificationReason::kResolved);
  CHECK(sent[0].ends_at == b.t0 + 15s);
  CHECK(b.active().empty());
}

TEST_CASE("alert state: the condition returning during keep_firing_for resets it") {
  Bench b(high_error_rate(0s, 10s));
  b.window = {{status("500"), 6}};
  b.step();
  b.window.clear();
  b.step(8s);
  b.window = {{status("500"), 6}};
  CHECK(b.step(1s).empty());
  CHECK(b.active()[0].keep_firing_since == core::Clock::WallTime{});
  b.window.clear();
  CHECK(b.step(1s).empty());  // clears again at t0 + 10s: a fresh 10s
  CHECK(b.step(9s).empty());
  CHECK(b.active().size() == 1);
  CHECK(b.step(1s).size() == 1);
  CHECK(b.active().empty());
}

TEST_CASE("alert state: a resolved label set that returns starts over as pending") {
  Bench b(high_error_rate(30s));
  b.window = {{status("500"), 6}};
  b.step();
  CHECK(b.step(30s).size() == 1);
  b.window.clear();
  CHECK(b.step(1s).size() == 1);  // resolved at t0 + 31s
  b.window = {{status("500"), 6}};
  CHECK(b.step(1s).empty());
  REQUIRE(b.active().size() == 1);
  CHECK(b.active()[0].state == AlertState::kPending);
  CHECK(b.active()[0].active_at == b.t0 + 32s);
  auto sent = b.step(30s);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].reason == NotificationReason::kFired);
}

TEST_CASE("alert state: a restart in the middle of `for` keeps activeAt") {
  Bench b(high_error_rate(30s));
  b.window = {{status("500"), 6}};
  b.step();
  b.step(10s);
  const std::vector<std::string> lines = encode_alert_checkpoint(b.evaluator->save());
  REQUIRE(lines.size() == 1);

  b.clock.advance(5s);  // the process is down for 5s
  b.start(high_error_rate(30s));
  const AlertCheckpointLoad load = decode_alert_checkpoint(lines);
  CHECK(load.problem.empty());
  CHECK(b.evaluator->restore(load.alerts) == 0);
  REQUIRE(b.active().size() == 1);
  CHECK(b.active()[0].state == AlertState::kPending);
  CHECK(b.active()[0].active_at == b.t0);

  CHECK(b.step().empty());     // t0 + 15s
  CHECK(b.step(14s).empty());  // t0 + 29s
  auto sent = b.step(1s);      // t0 + 30s: `for` counted from before the restart
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].reason == NotificationReason::kFired);
  CHECK(sent[0].alert.active_at == b.t0);
}

TEST_CASE("alert state: restored alerts get the new configuration's annotations") {
  Bench b(high_error_rate(0s));
  b.window = {{status("500"), 6}};
  b.step();
  const auto lines = encode_alert_checkpoint(b.evaluator->save());
  RuleDefinition changed = high_error_rate(0s);
  changed.annotations[0].text = "now {{ $value }}";
  b.start(changed);
  b.evaluator->restore(decode_alert_checkpoint(lines).alerts);
  CHECK(b.active()[0].annotations == Labels{{"summary", "500 rate is 6/s"}});
  CHECK(b.step(1s).empty());  // same value: not sent, but rendered anew
  CHECK(b.active()[0].annotations == Labels{{"summary", "now 6"}});
}

TEST_CASE("alert state: a restart with a firing alert does not page again") {
  Bench b(high_error_rate(0s));
  b.window = {{status("500"), 6}};
  REQUIRE(b.step().size() == 1);  // sent at t0
  b.step(20s);
  const auto lines = encode_alert_checkpoint(b.evaluator->save());

  b.clock.advance(10s);
  b.start(high_error_rate(0s));
  b.evaluator->restore(decode_alert_checkpoint(lines).alerts);
  CHECK(b.step().empty());  // t0 + 30s: firing, not sent again
  REQUIRE(b.active().size() == 1);
  CHECK(b.active()[0].state == AlertState::kFiring);
  CHECK(b.active()[0].fired_at == b.t0);
  CHECK(b.step(30s).empty());  // t0 + 60s
  auto sent = b.step(1s);      // the resend interval counts from the send before the restart
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].reason == NotificationReason::kResent);
  CHECK(sent[0].starts_at == b.t0);
}

TEST_CASE("alert checkpoint: every field round-trips; bad lines and unknown rules are dropped") {
  Alert a;
  a.labels = sorted_labels({{"alertname", "X"}, {"path", "/a b%"}, {"empty", ""}});
  a.annotations = {{"summary", "line one\nline two"}};
  a.state = AlertState::kInactive;
  a.value = 0.1 + 0.2;
  const core::Clock::WallTime t{std::chrono::nanoseconds(1767225600123456789)};
  a.active_at = t;
  a.fired_at = t + 1s;
  a.resolved_at = t + 2s;
  a.last_sent_at = t + 3s;
  a.keep_firing_since = t + 4s;
  a.valid_until = t + 5s;
  const auto lines = encode_alert_checkpoint({{"rule one", a}});
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find('\n') == std::string::npos);

  auto load = decode_alert_checkpoint({lines[0], "v1 garbage", "v2 " + lines[0].substr(3)});
  CHECK(load.problem == "alert checkpoint line 2 is malformed (and 1 more)");
  REQUIRE(load.alerts.size() == 1);
  const SavedAlert& s = load.alerts[0];
  CHECK(s.rule == "rule one");
  CHECK(s.alert.labels == a.labels);
  CHECK(s.alert.annotations == a.annotations);
  CHECK(s.alert.state == AlertState::kInactive);
  CHECK(s.alert.value == a.value);
  CHECK(s.alert.active_at == a.active_at);
  CHECK(s.alert.fired_at == a.fired_at);
  CHECK(s.alert.resolved_at == a.resolved_at);
  CHECK(s.alert.last_sent_at == a.last_sent_at);
  CHECK(s.alert.keep_firing_since == a.keep_firing_since);
  CHECK(s.alert.valid_until == a.valid_until);

  Bench b(high_error_rate(0s));
  CHECK(b.evaluator->restore(load.alerts) == 1);  // no rule named "rule one"
  CHECK(b.evaluator->save().empty());
}

TEST_CASE("alert rule: compile errors carry the annotation's position") {
  RuleDefinition d = high_error_rate(0s);
  d.annotations[0].text = "{{ $value | humanize }}";
  CHECK_THROWS_WITH_AS(AlertRule::compile(d, kWindows),
                       "t.yaml:8:33: unknown template function humanize: only printf is supported", DefinitionError);
  d = high_error_rate(0s);
  d.expr = "http_5xx_5m > 5";
  CHECK_THROWS_WITH_AS(AlertRule::compile(d, kWindows), "t.yaml:4:11: unknown window http_5xx_5m", DefinitionError);
  // The rule's labels cannot override alertname.
  d = high_error_rate(0s);
  d.labels.push_back({"alertname", "Other"});
  CHECK(AlertRule::compile(d, kWindows).labels == Labels{{"alertname", "HighErrorRate"}, {"severity", "page"}});
}

TEST_CASE("alert evaluator: each rule reads its own windows; alerts listed in rule order") {
  core::FakeClock clock;
  const std::vector<WindowShape> windows = {{"errors", {"status"}, {}}, {"latency", {}, {0.5, 0.99}}};
  RuleDefinition slow;
  slow.name = "Slow";
  slow.expr = "latency{quantile=\"0.99\"} > 2";
  slow.expr_at = {"t.yaml", 1, 1, ScalarStyle::kPlain};
  RuleDefinition errors;
  errors.name = "Errors";
  errors.expr = "errors >= 1";
  errors.expr_at = {"t.yaml", 2, 1, ScalarStyle::kPlain};
  errors.for_duration = 1min;
  std::vector<AlertRule> rules;
  rules.push_back(AlertRule::compile(slow, windows));
  rules.push_back(AlertRule::compile(errors, windows));
  Evaluator evaluator(std::move(rules), {}, clock);
  const Vector p99 = {{{}, 2.5}}, p50 = {{{}, 9}}, errs = {{{{"status", "500"}}, 1}};
  const auto sent = evaluator.evaluate([&](const WindowRef& r) -> const Vector* {
    if (r.name == "errors") return &errs;
    return *r.quantile == 0.99 ? &p99 : &p50;
  });
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].alert.labels == Labels{{"alertname", "Slow"}});
  CHECK(sent[0].alert.value == 2.5);
  const auto active = evaluator.active_alerts();
  REQUIRE(active.size() == 2);
  CHECK(active[0].labels == Labels{{"alertname", "Slow"}});
  CHECK(active[0].state == AlertState::kFiring);
  CHECK(active[1].labels == Labels{{"alertname", "Errors"}, {"status", "500"}});
  CHECK(active[1].state == AlertState::kPending);
}
