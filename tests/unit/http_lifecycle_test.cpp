// The lifecycle endpoints of http::Router (POST/PUT /-/reload and /-/quit), answered as
// Prometheus answers them; the daemon's part (reload on the ingestion thread, shutdown) is
// tested end to end in tests/integration/test_lifecycle_api.py.
#include <doctest/doctest.h>

#include <string>

#include "http/router.h"

using namespace logpulse;
namespace beast_http = boost::beast::http;

namespace {
struct LifecycleFixture {
  explicit LifecycleFixture(bool enabled, std::string reload_error = "")
      : router([] { return std::vector<std::shared_ptr<const prometheus::Collectable>>{}; }, board,
               http::Lifecycle{enabled,
                               [this, reload_error] {
                                 ++reloads;
                                 return reload_error;
                               },
                               [this] { ++quits; }}) {}

  http::Response send(beast_http::verb verb, const std::string& target) const {
    return router.handle(http::Request{verb, target, 11});
  }

  int reloads = 0;
  int quits = 0;
  pipeline::StatusBoard board;
  http::Router router;
};
}  // namespace

TEST_CASE("lifecycle: off by default, 403 as Prometheus, nothing done") {
  LifecycleFixture f(false);
  for (auto verb : {beast_http::verb::post, beast_http::verb::put}) {
    for (const char* path : {"/-/reload", "/-/quit"}) {
      auto response = f.send(verb, path);
      CHECK(response.result() == beast_http::status::forbidden);
      CHECK(response.body() == "Lifecycle API is not enabled.\n");
    }
  }
  CHECK(f.reloads == 0);
  CHECK(f.quits == 0);
}

TEST_CASE("lifecycle: methods other than POST and PUT are 405, on or off") {
  for (bool enabled : {false, true}) {
    LifecycleFixture f(enabled);
    for (auto verb : {beast_http::verb::get, beast_http::verb::head, beast_http::verb::delete_}) {
      auto response = f.send(verb, "/-/reload");
      CHECK(response.result() == beast_http::status::method_not_allowed);
      CHECK(response[beast_http::field::allow] == "POST, PUT");
      CHECK(f.send(verb, "/-/quit").result() == beast_http::status::method_not_allowed);
    }
    CHECK(f.reloads == 0);
    CHECK(f.quits == 0);
  }
}

TEST_CASE("lifecycle: reload answers 200, or 500 with the error") {
  LifecycleFixture ok(true);
  auto response = ok.send(beast_http::verb::post, "/-/reload");
  CHECK(response.result() == beast_http::status::ok);
  CHECK(ok.reloads == 1);

  LifecycleFixture refused(true, "cfg.yaml:3:1: unknown key 'x'");
  response = refused.send(beast_http::verb::put, "/-/reload");
  CHECK(response.result() == beast_http::status::internal_server_error);
  CHECK(response.body() == "failed to reload config: cfg.yaml:3:1: unknown key 'x'\n");
  CHECK(refused.reloads == 1);
}

TEST_CASE("lifecycle: quit starts the shutdown and answers at once") {
  LifecycleFixture f(true);
  auto response = f.send(beast_http::verb::post, "/-/quit?now=1");
  CHECK(response.result() == beast_http::status::ok);
  CHECK(response.body() == "Requesting termination... Goodbye!\n");
  CHECK(f.quits == 1);
  CHECK(f.reloads == 0);
}
