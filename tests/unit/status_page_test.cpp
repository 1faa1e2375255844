// The status page (http/status_page.h) through the Router, the StatusBoard's rate history
// and rule rates, and the unmatched-line ring (match/unmatched_samples.h) alone and in a
// SourceMatcher.
#include <doctest/doctest.h>
#include <prometheus/registry.h>

#include <algorithm>

#include "config/config_loader.h"
#include "http/router.h"
#include "http/status_page.h"
#include "match/unmatched_samples.h"
#include "pipeline/rule_pipeline.h"

using namespace logpulse;
using namespace std::chrono_literals;

namespace {

using Time = std::chrono::steady_clock::time_point;
const Time kStart{std::chrono::hours(1)};

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The `points` attribute of the page's first polyline, split at spaces.
std::vector<std::string> polyline_points(const std::string& page) {
  const std::string open = "<polyline ";
  auto at = page.find(open);
  if (at == std::string::npos) return {};
  at = page.find("points=\"", at);
  const auto end = page.find('"', at + 8);
  std::vector<std::string> points;
  std::string list = page.substr(at + 8, end - at - 8);
  for (std::size_t i = 0; i < list.size();) {
    auto space = list.find(' ', i);
    if (space == std::string::npos) space = list.size();
    points.push_back(list.substr(i, space - i));
    i = space + 1;
  }
  return points;
}

pipeline::SourceStatus source_at(std::uint64_t lines_read, std::string name = "app") {
  pipeline::SourceStatus status;
  status.name = std::move(name);
  status.watcher = "inotify";
  status.lines_read = lines_read;
  status.has_rules = true;
  return status;
}

// A board, an analytics board and the router over both.
struct Page {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  pipeline::StatusBoard board;
  pipeline::AnalyticsBoard analytics;
  http::Router router{[r = registry] { return std::vector<std::shared_ptr<const prometheus::Collectable>>{r}; },
                      board, {}, &analytics};

  std::string get() const {
    http::Request request{boost::beast::http::verb::get, "/", 11};
    return router.handle(request).body();
  }
};

alert::WallTime wall(std::int64_t seconds) { return alert::WallTime{std::chrono::seconds(seconds)}; }

// Every kind of content that comes from the logs or the configuration, filled with `text`.
void fill(Page& page, const std::string& text) {
  pipeline::SourceStatus source = source_at(10, text);
  source.lines_unmatched = 2;
  source.rules = {{text, 8, 0}};
  source.unmatched_samples = {{text, text.size()}, {text, text.size()}};
  source.files = {tail::FileStatus{text, "1:2:3:4", 10, 20, 10, "following"}};
  page.board.publish({source}, kStart);
  pipeline::WindowValues window{text, text, config::WindowAgg::kCount, 60s, {text}, {{{text}, 0, 3}}, 0, 0};
  alert::Alert alert;
  alert.labels = {{"alertname", text}, {text, text}};
  alert.annotations = {{"summary", text}};
  alert.state = alert::AlertState::kFiring;
  alert.active_at = wall(1767225600);
  page.analytics.publish(std::make_shared<pipeline::WindowSnapshot>(std::vector{window}, wall(1767225660)), {alert}, 1);
}

}  // namespace

TEST_CASE("status board: one rate point per 10 s, the mean over the step, at most 90") {
  pipeline::StatusBoard board;
  board.publish({source_at(0)}, kStart);
  CHECK(board.snapshot()[0].rate_history.empty());
  board.publish({source_at(50)}, kStart + 9750ms);
  CHECK(board.snapshot()[0].rate_history.empty());
  board.publish({source_at(100)}, kStart + 10s);
  REQUIRE(board.snapshot()[0].rate_history == std::vector<double>{10.0});
  CHECK(board.snapshot()[0].lines_per_second == doctest::Approx(200.0));  // 50 lines in 250 ms

  // A stalled publisher ends several steps at once, each with the mean rate.
  board.publish({source_at(100 + 3 * 10 * 4)}, kStart + 40s);
  CHECK(board.snapshot()[0].rate_history == std::vector<double>{10.0, 4.0, 4.0, 4.0});

  std::uint64_t lines = 220;
  Time at = kStart + 40s;
  for (int i = 0; i < 100; ++i) {
    at += 10s;
    lines += static_cast<std::uint64_t>(i);
    board.publish({source_at(lines)}, at);
  }
  const auto history = board.snapshot()[0].rate_history;
  REQUIRE(history.size() == pipeline::StatusBoard::kRatePoints);
  CHECK(history.front() == doctest::Approx(1.0));   // i = 10, the oldest kept
  CHECK(history.back() == doctest::Approx(9.9));    // i = 99

  // A source that leaves the configuration takes its history with it.
  board.publish({source_at(0, "other")}, at + 10s);
  board.publish({source_at(0, "app"), source_at(0, "other")}, at + 20s);
  CHECK(board.snapshot()[0].rate_history.empty());
  CHECK(board.snapshot()[1].rate_history.size() == 1);
}

TEST_CASE("status board: each rule's rate over the last publication") {
  pipeline::StatusBoard board;
  auto with_rules = [](std::uint64_t a, std::uint64_t b) {
    pipeline::SourceStatus status = source_at(a + b);
    status.rules = {{"a", a, 0}, {"b", b, 0}};
    return status;
  };
  board.publish({with_rules(10, 0)}, kStart);
  board.publish({with_rules(30, 5)}, kStart + 500ms);
  const auto rules = board.snapshot()[0].rules;
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].matched_per_second == doctest::Approx(40.0));
  CHECK(rules[1].matched_per_second == doctest::Approx(10.0));
}

TEST_CASE("unmatched samples: the last N, 0 keeps none, long lines cut at 512 bytes") {
  match::UnmatchedSamples ring(3);
  std::vector<match::UnmatchedLine> out;
  ring.copy_to(out);
  CHECK(out.empty());
  for (int i = 0; i < 3 + 5; ++i) ring.record("line " + std::to_string(i));
  ring.copy_to(out);
  REQUIRE(out.size() == 3);
  CHECK(out[0].text == "line 5");
  CHECK(out[1].text == "line 6");
  CHECK(out[2].text == "line 7");
  CHECK(ring.recorded() == 8);

  match::UnmatchedSamples off(0);
  off.record("x");
  off.copy_to(out);
  CHECK(out.empty());
  CHECK(off.size() == 0);

  const std::string huge(100 * 1024, 'x');
  ring.record(huge);
  ring.copy_to(out);
  CHECK(out.back().text.size() == match::UnmatchedSamples::kMaxSampleBytes);
  CHECK(out.back().bytes == huge.size());

  // The cut does not split a UTF-8 character: "é" (2 bytes) straddling byte 512 goes whole.
  std::string accented(511, 'a');
  accented += "\xc3\xa9tail";
  ring.record(accented);
  ring.copy_to(out);
  CHECK(out.back().text == std::string(511, 'a'));
  CHECK(out.back().bytes == accented.size());
}

TEST_CASE("unmatched samples: the matcher keeps the last N lines no rule matched (status.unmatched_samples)") {
  const std::string yaml = R"(
sources: [{name: s, paths: [/dev/null]}]
rules:
  - {name: ok, source: s, match: '^ok ', metrics: [{name: ok_total, type: counter}]}
  - {name: rest, source: s, unmatched: true, metrics: [{name: rest_total, type: counter}]}
)";
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{10}}) {
    CAPTURE(n);
    prometheus::Registry registry;
    metrics::SelfMetrics self{registry};
    const config::Config config =
        config::load_string(yaml + "status: {unmatched_samples: " + std::to_string(n) + "}\n", "t.yaml");
    pipeline::RulePipeline rules(config, self);
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < n + 5; ++i) {
      lines.push_back("ok " + std::to_string(i));
      lines.push_back("junk " + std::to_string(i));
    }
    lines.push_back("bad \xff byte");
    std::vector<std::string_view> views(lines.begin(), lines.end());
    rules.matcher(0).process(views, 0);

    std::vector<match::UnmatchedLine> out;
    rules.matcher(0).unmatched_samples().copy_to(out);
    REQUIRE(out.size() == n);
    for (std::size_t i = 0; i + 1 < n; ++i) CHECK(out[i].text == "junk " + std::to_string(i + 6));
    if (n > 0) CHECK(out.back().text == "bad \xef\xbf\xbd byte");  // repaired, as rules saw it
    CHECK(self.lines_unmatched("s").Value() == static_cast<double>(n + 6));
  }
}

TEST_CASE("status page: rate chart, rules, unmatched lines escaped, alerts and windows") {
  Page page;
  pipeline::SourceStatus source = source_at(0);
  page.board.publish({source}, kStart);
  for (int i = 1; i <= 7; ++i) {
    source.lines_read = static_cast<std::uint64_t>(i * 100);
    page.board.publish({source}, kStart + i * 10s);
  }
  source.lines_read = 1000;
  source.lines_unmatched = 2;
  source.rules = {{"access", 700, 0}, {"unparsed", 2, 0}};
  source.unmatched_samples = {{"GET <script>alert(1)</script> & \"x\"", 37}, {std::string(512, 'y'), 102400}};
  page.board.publish({source}, kStart + 75s);

  // 25 label sets of a count window: 20 rows shown.
  pipeline::WindowValues errors{"errors_1m", "access", config::WindowAgg::kCount, 60s, {"status"}, {}, 0, 0};
  for (int i = 0; i < 25; ++i) errors.series.push_back({{std::to_string(500 + i)}, 0, static_cast<double>(i + 1)});
  pipeline::WindowValues latency{"latency_5m", "access", config::WindowAgg::kQuantile, 5min, {}, {}, 0, 0};
  latency.series = {{{}, 0.5, 0.125}, {{}, 0.99, 2.5}};
  alert::Alert firing;
  firing.labels = {{"alertname", "TooManyErrors"}, {"severity", "page"}, {"status", "500"}};
  firing.annotations = {{"summary", "3 errors on <500>"}};
  firing.state = alert::AlertState::kFiring;
  firing.value = 3;
  firing.active_at = wall(1767225600) + 250ms;
  alert::Alert pending = firing;
  pending.labels = {{"alertname", "SlowRequests"}};
  pending.annotations = {};
  pending.state = alert::AlertState::kPending;
  pending.value = 2.5;
  page.analytics.publish(std::make_shared<pipeline::WindowSnapshot>(std::vector{errors, latency}, wall(1767225660)),
                         {pending, firing}, 2);

  const std::string html = page.get();
  CHECK(html.find("<meta http-equiv=\"refresh\" content=\"5\">") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);

  // The chart: one polyline point per 10 s step published.
  CHECK(html.find("<svg class=\"rate-chart\" role=\"img\" aria-label=\"lines per second, last 15 minutes\"") !=
        std::string::npos);
  CHECK(html.find("<title>lines per second, last 15 minutes</title>") != std::string::npos);
  const auto points = polyline_points(html);
  REQUIRE(points.size() == 7);
  CHECK(points.back().rfind("359.0,", 0) == 0);                 // the newest at the right edge
  CHECK(std::count(points.begin(), points.end(), points[0]) == 1);

  // Rules: lines matched, rate, share of the lines read.
  CHECK(html.find("<td>access</td><td class=n>700</td>") != std::string::npos);
  CHECK(html.find("<td class=n>70.0%</td>") != std::string::npos);
  CHECK(html.find("<td>unparsed</td><td class=n>2</td>") != std::string::npos);

  // Unmatched lines, escaped; the cut one says so.
  CHECK(html.find("Last 2 line(s) no rule matched") != std::string::npos);
  CHECK(html.find("<code>GET &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;</code>") != std::string::npos);
  CHECK(html.find("(cut: 102400 bytes)") != std::string::npos);

  // Alerts: firing first, labels, state, active since (RFC 3339 UTC), value, annotations.
  const auto too_many = html.find("<td>TooManyErrors</td>");
  const auto slow = html.find("<td>SlowRequests</td>");
  REQUIRE(too_many != std::string::npos);
  REQUIRE(slow != std::string::npos);
  CHECK(too_many < slow);
  CHECK(html.find("<tr class=\"firing\"><td>TooManyErrors</td><td>severity=\"page\", status=\"500\""
                  "</td><td>firing</td><td>2026-01-01T00:00:00Z</td><td class=n>3</td>"
                  "<td><div><b>summary:</b> 3 errors on &lt;500&gt;</div></td></tr>") != std::string::npos);
  CHECK(html.find("<td>pending</td>") != std::string::npos);
  CHECK(html.find("<td class=n>2.5</td>") != std::string::npos);

  // Windows: every window, 20 rows at most each, quantiles labelled.
  CHECK(html.find("<h2>Windows</h2>") != std::string::npos);
  CHECK(html.find("<h3>errors_1m</h3><p>count over 1m of rule access</p>") != std::string::npos);
  CHECK(html.find("<tr><td>500</td><td class=n>1</td></tr>") != std::string::npos);
  CHECK(html.find("<tr><td>519</td><td class=n>20</td></tr>") != std::string::npos);
  CHECK(html.find("<td>520</td>") == std::string::npos);
  CHECK(html.find("and 5 more") != std::string::npos);
  CHECK(html.find("quantile over 5m of rule access") != std::string::npos);
  CHECK(html.find("<tr><td class=n>0.99</td><td class=n>2.5</td></tr>") != std::string::npos);
}

TEST_CASE("status page: without windows and alerts those sections are left out; no data yet is said") {
  Page page;
  page.board.publish({source_at(0)}, kStart);
  std::string html = page.get();
  CHECK(html.find("<h2>Alerts</h2>") == std::string::npos);
  CHECK(html.find("<h2>Windows</h2>") == std::string::npos);
  CHECK(html.find("class=\"rate-chart\"") != std::string::npos);
  CHECK(html.find("<polyline") == std::string::npos);
  CHECK(html.find("collecting") != std::string::npos);

  // Alert rules configured, none active.
  page.analytics.publish(std::make_shared<pipeline::WindowSnapshot>(std::vector<pipeline::WindowValues>{}, wall(0)),
                         {}, 3);
  html = page.get();
  CHECK(html.find("<h2>Alerts</h2><p>None pending or firing (3 alert rule(s)).</p>") != std::string::npos);
  CHECK(html.find("<h2>Windows</h2>") == std::string::npos);
}

TEST_CASE("status page: its markup does not depend on what the logs and the configuration hold") {
  const std::string hostile = "<b>\"x\" & </td></table><script>alert(1)</script>\xff";
  Page plain, odd;
  fill(plain, std::string(hostile.size(), 'p'));
  fill(odd, hostile);
  const std::string a = plain.get(), b = odd.get();
  CHECK(count(a, "<") == count(b, "<"));
  CHECK(count(a, ">") == count(b, ">"));
  // Source, file, rule, 2 lines, window name, rule and `by`, label value, alert name, label
  // name and value, annotation.
  CHECK(count(b, "&lt;script&gt;") == 13);
}
