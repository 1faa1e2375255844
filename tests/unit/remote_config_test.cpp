// remote_write: in the configuration: what loads, and errors at FILE:LINE:COLUMN.
#include <doctest/doctest.h>

#include <cstdlib>

#include "config/config_loader.h"
#include "config_support.h"

using namespace logpulse::config;
using namespace std::chrono_literals;

namespace {
using config_test::error_of;
using config_test::kSources;
}  // namespace

TEST_CASE("remote_write: every key loads into typed values, ${ENV} expanded, labels sorted") {
  ::setenv("LOGPULSE_TEST_HOST", "web-1", 1);
  const Config c = load_string(std::string(kSources) + R"(remote_write:
  - url: http://mimir:9009/api/v1/push
    write_interval: 1s
    remote_timeout: 5s
    basic_auth: {username: u, password: p}
    headers: {X-Scope-OrgID: team-a}
    queue: {max_samples: 1000, max_bytes: 100000}
    external_labels: {host: "${LOGPULSE_TEST_HOST}", dc: "eu-$$1"}
  - url: http://other:9090/api/v1/write
)", "test.yaml");
  REQUIRE(c.remote_write.size() == 2);
  const auto& rw = c.remote_write[0];
  CHECK(rw.url == "http://mimir:9009/api/v1/push");
  CHECK(rw.write_interval == 1s);
  CHECK(rw.remote_timeout == 5s);
  CHECK(rw.basic_auth);
  CHECK(rw.username == "u");
  CHECK(rw.password == "p");
  CHECK(rw.headers == std::vector<std::pair<std::string, std::string>>{{"X-Scope-OrgID", "team-a"}});
  CHECK(rw.max_samples == 1000);
  CHECK(rw.max_bytes == 100000);
  CHECK(rw.external_labels == std::vector<std::pair<std::string, std::string>>{{"dc", "eu-$1"}, {"host", "web-1"}});
  CHECK(rw.line == 4);
  CHECK(c.remote_write[1].write_interval == 15s);
  CHECK(c.remote_write[1].external_labels.empty());
}

TEST_CASE("remote_write: errors name the place") {
  ::unsetenv("LOGPULSE_TEST_UNSET");
  CHECK(error_of("remote_write:\n  - url: http://a/\n    external_labels: {host: \"${LOGPULSE_TEST_UNSET}\"}\n") ==
        "test.yaml:5:29: remote_write.external_labels.host: the environment variable LOGPULSE_TEST_UNSET is not set "
        "(write $$ for a literal '$')");
  CHECK(error_of("remote_write:\n  - write_interval: 1s\n") == "test.yaml:4:5: remote_write: 'url' is required");
  CHECK(error_of("remote_write:\n  - url: ftp://a/\n") ==
        "test.yaml:4:10: remote_write.url: expected an http:// or https:// URL, got 'ftp://a/'");
  CHECK(error_of("remote_write:\n  - url: http://a/\n  - url: http://a/\n").find("test.yaml:5:10: remote_write.url: duplicate URL") == 0);
  CHECK(error_of("remote_write:\n  - url: http://a/\n    write_interval: 0s\n").find("test.yaml:5:21: remote_write.write_interval: 0s is out of range") == 0);
  CHECK(error_of("remote_write:\n  - url: http://a/\n    queue: {max_samples: 0}\n").find("test.yaml:5:26: remote_write.queue.max_samples: expected an integer") == 0);
  CHECK(error_of("remote_write:\n  - url: http://a/\n    external_labels: {__x: y}\n").find("test.yaml:5:23: remote_write.external_labels: bad label name '__x'") == 0);
  CHECK(error_of("remote_write:\n  - url: http://a/\n    headers: {Content-Type: x}\n").find("test.yaml:5:15: remote_write.headers: 'Content-Type' is set by logpulse itself") == 0);
  CHECK(error_of("remote_write:\n  - url: http://a/\n    basic_auth: {username: u, password: p, password_file: /etc/hostname}\n")
            .find("test.yaml:5:17: remote_write.basic_auth: 'password' and 'password_file' are exclusive") == 0);
  CHECK(error_of("remote_write:\n  - url: http://a/\n    bearer_token_file: /nonexistent/token\n")
            .find("test.yaml:5:24: remote_write.bearer_token_file: cannot read '/nonexistent/token'") == 0);
  CHECK(error_of("remote_write:\n  - url: http://a/\n    bogus: 1\n").find("test.yaml:5:5: unknown key 'bogus' in remote_write") == 0);
  CHECK(error_of("remote_write: {url: http://a/}\n").find("test.yaml:3:15: remote_write: expected a list") == 0);
}
