#include <doctest/doctest.h>

#include "config/config_loader.h"
#include "config/duration.h"

using namespace logpulse::config;
using namespace std::chrono_literals;

namespace {
std::string error_of(const std::string& yaml) {
  try {
    load_string(yaml, "test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("durations") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("5s") == 5s);
  CHECK(parse_duration("1m") == 60s);
  CHECK(parse_duration("2h") == 7200s);
  CHECK(parse_duration("1d") == 86400s);
  CHECK(parse_duration("1m30s") == 90s);
  CHECK(parse_duration("0s") == 0ms);
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("5"));
  CHECK_FALSE(parse_duration("5x"));
  CHECK_FALSE(parse_duration("-5s"));
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration("1.5s"));
}

TEST_CASE("a full issue-2 configuration loads into typed values") {
  Config c = load_string(R"(
listen: ["127.0.0.1:9300", "[::1]:9301"]
state_dir: /tmp/state
checkpoint_interval: 2s
watcher: poll
poll_interval: 100ms
rescan_interval: 3s
sources:
  - name: nginx
    paths: ["/var/log/nginx/access.log", "/var/log/app/*.log"]
    exclude: ["*.gz"]
    start_at: beginning
    max_line_bytes: 1024
    rotate_wait: 10s
  - name: other
    paths: /var/log/other.log
)", "t.yaml");
  REQUIRE(c.listen.size() == 2);
  CHECK(c.listen[0].host == "127.0.0.1");
  CHECK(c.listen[0].port == 9300);
  CHECK(c.listen[1].host == "::1");
  CHECK(c.listen[1].port == 9301);
  CHECK(c.state_dir == "/tmp/state");
  CHECK(c.checkpoint_interval == 2s);
  CHECK(c.watcher == WatcherKind::kPoll);
  CHECK(c.poll_interval == 100ms);
  CHECK(c.rescan_interval == 3s);
  REQUIRE(c.sources.size() == 2);
  CHECK(c.sources[0].paths.size() == 2);
  CHECK(c.sources[0].exclude == std::vector<std::string>{"*.gz"});
  CHECK(c.sources[0].start_at == StartAt::kBeginning);
  CHECK(c.sources[0].max_line_bytes == 1024);
  CHECK(c.sources[0].rotate_wait == 10s);
  CHECK(c.sources[1].start_at == StartAt::kEnd);
  CHECK(c.sources[1].paths == std::vector<std::string>{"/var/log/other.log"});
}

TEST_CASE("configuration errors name file, line and column") {
  CHECK(error_of("sources:\n  - name: a\n    paths: [x]\n    bogus: 1\n").rfind("test.yaml:4:5: unknown key 'bogus'", 0) == 0);
  CHECK(error_of("checkpoint_interval: 5x\nsources: [{name: a, paths: [x]}]\n").rfind("test.yaml:1:22: checkpoint_interval: bad duration", 0) == 0);
  CHECK(error_of("sources:\n  - name: a\n    paths: [\"/x/[ab\"]\n").rfind("test.yaml:3:13: paths: bad glob", 0) == 0);
  CHECK(error_of("sources:\n  - {name: a, paths: [x]}\n  - {name: a, paths: [y]}\n").rfind("test.yaml:3:5: duplicate source name 'a'", 0) == 0);
  CHECK(error_of("sources:\n  - name: a\n    paths: [x]\n    max_line_bytes: lots\n").rfind("test.yaml:4:21: max_line_bytes: expected a positive integer", 0) == 0);
  CHECK(error_of("sources:\n  - name: a\n    paths: {x: 1}\n").rfind("test.yaml:3:12: paths: expected a list of strings", 0) == 0);
  CHECK(error_of("sources:\n  - name: a\n    paths: [x]\n    start_at: middle\n").find("expected 'end' or 'beginning'") != std::string::npos);
  CHECK(error_of("listen: [\"nowhere\"]\nsources: [{name: a, paths: [x]}]\n").find("test.yaml:1:10: listen: expected host:port") == 0);
  CHECK(error_of("listen: [\"h:99999\"]\nsources: [{name: a, paths: [x]}]\n").find("bad port") != std::string::npos);
  CHECK(error_of("sources: [{name: a}]\n").find("'paths' is required") != std::string::npos);
  CHECK(error_of("").find("empty") != std::string::npos);
  CHECK(error_of("sources: [\n").rfind("test.yaml:", 0) == 0);  // YAML syntax error, with a place
  CHECK(error_of("remote_write: []\nsources: [{name: a, paths: [x]}]\n") == "");  // an empty list: no receiver
}

TEST_CASE("a missing configuration file is an error naming it") {
  CHECK_THROWS_WITH_AS(load_file("/nonexistent/logpulse.yaml"),
                       "/nonexistent/logpulse.yaml:1:1: cannot read the configuration file (No such file or directory)",
                       ConfigError);
}

namespace {
// "sources: ..." with `line` inserted at the top level (line 1).
std::string with_top(const std::string& line) { return line + "\nsources: [{name: a, paths: [x]}]\n"; }
bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("durations too large for milliseconds saturate instead of overflowing") {
  CHECK(parse_duration("36500d") == std::chrono::milliseconds(36500LL * 86'400'000));
  CHECK(parse_duration("106752d") == std::chrono::milliseconds::max());
  CHECK(parse_duration("99999999999d") == std::chrono::milliseconds::max());
  CHECK(parse_duration("99999999999999999999999999d") == std::chrono::milliseconds::max());
  CHECK(parse_duration("36500d36500d36500d") == std::chrono::milliseconds::max());
  CHECK(parse_duration("9223372036854775807ms") == std::chrono::milliseconds::max());
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "36500d";
  CHECK(parse_duration(many) == std::chrono::milliseconds::max());
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(24h) == "1d");
  CHECK(format_duration(90s) == "1m30s");
  CHECK(format_duration(10ms) == "10ms");
}

TEST_CASE("every duration key has its own range, named with its place") {
  CHECK(starts_with(error_of(with_top("checkpoint_interval: 106752d")),
                    "test.yaml:1:22: checkpoint_interval: 106752d is out of range (expected 100ms .. 1d)"));
  CHECK(starts_with(error_of(with_top("checkpoint_interval: 99999999999d")),
                    "test.yaml:1:22: checkpoint_interval: 99999999999d is out of range"));
  CHECK(starts_with(error_of(with_top("checkpoint_interval: 0s")), "test.yaml:1:22: checkpoint_interval: 0s is out of range"));
  CHECK(starts_with(error_of(with_top("poll_interval: 99999999999d")),
                    "test.yaml:1:16: poll_interval: 99999999999d is out of range (expected 10ms .. 1h)"));
  CHECK(starts_with(error_of(with_top("poll_interval: 1ms")), "test.yaml:1:16: poll_interval: 1ms is out of range"));
  CHECK(starts_with(error_of(with_top("rescan_interval: 106752d")),
                    "test.yaml:1:18: rescan_interval: 106752d is out of range (expected 10ms .. 1h)"));
  CHECK(error_of(with_top("poll_interval: 10ms")).empty());
  CHECK(error_of(with_top("poll_interval: 1h")).empty());
  CHECK(error_of(with_top("checkpoint_interval: 1d")).empty());
  CHECK(error_of(with_top("checkpoint_interval: 100ms")).empty());

  const std::string source = "sources:\n  - name: a\n    paths: [x]\n";
  CHECK(starts_with(error_of(source + "    rotate_wait: 2d\n"),
                    "test.yaml:4:18: rotate_wait: 2d is out of range (expected 0s .. 1d)"));
  CHECK(error_of(source + "    rotate_wait: 0s\n").empty());
  CHECK(starts_with(error_of(source + "    multiline: {start: x, timeout: 0s}\n"),
                    "test.yaml:4:36: multiline.timeout: 0s is out of range (expected 10ms .. 1h)"));
  CHECK(starts_with(error_of(source + "    multiline: {start: x, timeout: 99999999999d}\n"), "test.yaml:4:36: "));

  const std::string rule = source + "rules:\n  - name: r\n    source: a\n    match: x\n";
  CHECK(starts_with(error_of(rule + "    expire_after: 500ms\n"),
                    "test.yaml:8:19: expire_after: 500ms is out of range (expected 1s .. 365d, or 0s for never)"));
  CHECK(starts_with(error_of(rule + "    expire_after: 99999999999d\n"), "test.yaml:8:19: expire_after: "));
  CHECK(error_of(rule + "    expire_after: 0s\n").empty());
}

TEST_CASE("summaries whose window cannot work are refused at load") {
  const std::string rule =
      "sources: [{name: a, paths: [x]}]\nrules:\n  - name: r\n    source: a\n    match: '(?P<v>\\d+)'\n"
      "    metrics:\n";
  auto summary = [&](const std::string& extra) {
    return error_of(rule + "      - {name: s, type: summary, value: v" + extra + "}\n");
  };
  CHECK(starts_with(summary(", max_age: 0s"), "test.yaml:7:53: max_age: 0s is out of range (expected 1s .. 7d)"));
  CHECK(starts_with(summary(", max_age: 999ms"), "test.yaml:7:53: max_age: 999ms is out of range"));
  CHECK(starts_with(summary(", max_age: 106752d"), "test.yaml:7:53: max_age: 106752d is out of range"));
  CHECK(summary(", max_age: 1s").empty());
  CHECK(summary(", max_age: 7d").empty());
  CHECK(contains(summary(", quantiles: [0]"), "quantiles: each must be in (0, 1)"));
  CHECK(contains(summary(", quantiles: [1]"), "quantiles: each must be in (0, 1)"));
  CHECK(contains(summary(", quantiles: [.nan]"), "expected a number"));
  CHECK(contains(summary(", quantiles: [nan]"), "expected a number"));
  CHECK(contains(summary(", quantiles: [0.9, 0.5]"), "strictly increasing"));
  CHECK(contains(summary(", quantiles: []"), "non-empty list"));
  auto histogram = [&](const std::string& buckets) {
    return error_of(rule + "      - {name: h, type: histogram, value: v, buckets: " + buckets + "}\n");
  };
  CHECK(contains(histogram("[1, 1]"), "strictly increasing"));
  CHECK(contains(histogram("[1, inf]"), "expected a number"));
  CHECK(contains(histogram("[1, .inf]"), "expected a number"));
  CHECK(contains(histogram("[1, 1e999]"), "expected a number"));
  CHECK(contains(histogram("[nan]"), "expected a number"));
  CHECK(histogram("[-1, 0, 1e300]").empty());
  std::string many = "[0";
  for (int i = 1; i < 1000; ++i) many += ", " + std::to_string(i);
  CHECK(histogram(many + "]").empty());
  CHECK(histogram(many + ", 1000]") == "test.yaml:7:55: buckets: 1001 numbers, expected at most 1000");
  const std::string source = "sources:\n  - name: a\n    paths: [x]\n";
  CHECK(contains(error_of(source + "    max_line_bytes: 0\n"), "max_line_bytes: expected a positive integer"));
  CHECK(contains(error_of(source + "    max_line_bytes: 99999999999999\n"), "max_line_bytes: expected 16 .. 67108864"));
  CHECK(contains(error_of(source + "    max_line_bytes: 9999999999999999999999\n"), "max_line_bytes: expected a positive integer"));
}

TEST_CASE("an empty file, a directory and deep nesting say where and what was expected") {
  CHECK(error_of("") == "test.yaml:1:1: the file is empty, expected a mapping with sources:");
  CHECK(error_of("\n# only a comment\n\n") == "test.yaml:1:1: the file is empty, expected a mapping with sources:");
  CHECK(error_of("~\n") == "test.yaml:1:1: the configuration is empty, expected a mapping with sources:");
  CHECK_THROWS_WITH_AS(load_file("/tmp"), "/tmp: is a directory, expected a YAML file", ConfigError);

  const std::string deep = std::string(600, '[');
  std::string message = error_of(deep);
  CHECK(starts_with(message, "test.yaml:"));
  CHECK(contains(message, "nested too deeply (expected at most"));
  CHECK(!contains(message, ":0:0:"));
  CHECK(error_of("sources: [{name: a, paths: [x]}\n") ==
        "test.yaml:2:1: end of sequence flow not found (expected ']' to close a '[')");
  CHECK(error_of("sources: {a: 1\n") ==
        "test.yaml:2:1: end of map flow not found (expected '}' to close a '{')");
}

TEST_CASE("a NUL byte in a value is refused and the message is not cut at it") {
  const std::string message = error_of("sources:\n  - name: a\n    paths: [\"/var/log/a\\0b.log\"]\n");
  CHECK(message ==
        "test.yaml:3:13: paths item: expected text without NUL bytes, got '/var/log/a\\0b.log' (in a pattern, write \\x00)");
  CHECK(contains(error_of("sources:\n  - name: a\n    paths: [x]\n    \"bo\\egus\": 1\n"), "unknown key 'bo\\x1bgus'"));
  CHECK(ConfigError(std::string("a\0b\nc", 5)).what() == std::string("a\\0b\\nc"));
}

TEST_CASE("a value that is not UTF-8 is refused: it would reach the exposition") {
  const std::string message = error_of(
      "sources: [{name: a, paths: [x]}]\nrules:\n  - name: r\n    source: a\n    match: x\n"
      "    metrics: [{name: m, type: counter, labels: {env: \"caf\xe9\"}}]\n");
  CHECK(message == "test.yaml:6:54: a label value: expected UTF-8 text, got 'caf\xef\xbf\xbd'");
}

TEST_CASE("YAML syntax errors say what was expected; a huge quoted value is cut") {
  CHECK(error_of("a: \"\\d\"\n") ==
        "test.yaml:1:7: unknown escape character: d (expected a YAML escape in a double-quoted string: write "
        "patterns in single quotes)");
  CHECK(error_of("a: b: c\n") ==
        "test.yaml:1:5: illegal map value (expected one 'key: value' per line; quote a value that holds ': ')");
  CHECK(error_of("a:\n  - 1\n - 2\n") ==
        "test.yaml:3:2: end of map not found (expected the next key at the indentation of the ones before)");
  CHECK(error_of("a: ]\n") == "test.yaml:1:4: illegal flow end (expected a ']' or '}' only to close a '[' or '{')");
  CHECK(error_of("a: *x\n") ==
        "test.yaml:1:4: the referenced anchor is not defined (expected an &anchor defined before its *alias)");
  const std::string message = error_of("sources:\n  - name: a\n    paths: [x]\n    start_at: " + std::string(70000, 'z') + "\n");
  CHECK(starts_with(message, "test.yaml:4:15: start_at: expected 'end' or 'beginning', got 'zzz"));
  CHECK(contains(message, "zzz... (69"));
  CHECK(message.size() < 1100);
}

TEST_CASE("a configuration that never ends is refused after 16 MiB, not read forever") {
  CHECK_THROWS_WITH_AS(load_file("/dev/zero"), "/dev/zero:1:1: the file is larger than 16 MiB, expected a YAML configuration",
                       ConfigError);
  CHECK_THROWS_WITH_AS(load_file("/dev/null"), "/dev/null:1:1: the file is empty, expected a mapping with sources:",
                       ConfigError);
}

TEST_CASE("names that cannot work say what a name must look like") {
  const std::string rule = "sources: [{name: a, paths: [x]}, {name: b, paths: [y]}]\nrules:\n  - name: r\n    source: ";
  CHECK(error_of(rule + "c\n    match: x\n") == "test.yaml:4:13: rule r: unknown source 'c' (expected one of: a, b)");
  CHECK(error_of(rule + "a\n    match: x\n    metrics: [{name: 9x, type: counter}]\n") ==
        "test.yaml:6:22: metric name '9x' is not a valid Prometheus name (expected [A-Za-z_:][A-Za-z0-9_:]*)");
  CHECK(error_of(rule + "a\n    match: x\n    metrics: [{name: m, type: counter, labels: {__x: v}}]\n") ==
        "test.yaml:6:49: labels: bad label name '__x' (expected [A-Za-z_][A-Za-z0-9_]*, not starting with __)");
  CHECK(error_of("listen: [\"h:99999\"]\nsources: [{name: a, paths: [x]}]\n") ==
        "test.yaml:1:10: listen: bad port '99999' (expected 0 .. 65535)");
}
