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
  CHECK(error_of("windows: []\nsources: [{name: a, paths: [x]}]\n").find("not supported") != std::string::npos);
}

TEST_CASE("a missing configuration file is an error naming it") {
  CHECK_THROWS_WITH_AS(load_file("/nonexistent/logpulse.yaml"),
                       "/nonexistent/logpulse.yaml:1:1: cannot read the configuration file", ConfigError);
}
