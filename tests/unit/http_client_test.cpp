#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <optional>

#include "core/clock.h"
#include "net/backoff.h"
#include "net/http_client.h"
#include "net/retry_after.h"
#include "net/url.h"
#include "scripted_http_server.h"

using namespace logpulse;
using namespace std::chrono_literals;
using testing::Reply;
using testing::run_until;

namespace {
net::Url url_of(const std::string& text) {
  auto parsed = net::Url::parse(text);
  REQUIRE_MESSAGE(parsed, text);
  return *parsed;
}

// Starts a POST and returns where its result will be.
std::shared_ptr<std::optional<net::HttpResult>> start_post(boost::asio::io_context& io, net::HttpClient& client,
                                                           std::string url, std::string body,
                                                           net::RequestOptions options = {}) {
  auto out = std::make_shared<std::optional<net::HttpResult>>();
  boost::asio::co_spawn(
      io,
      [&client, out, url = url_of(url), body = std::move(body), options]() mutable -> boost::asio::awaitable<void> {
        *out = co_await client.post(url, std::move(body), options);
      },
      boost::asio::detached);
  return out;
}

net::HttpResult post(boost::asio::io_context& io, net::HttpClient& client, std::string url, std::string body,
                     net::RequestOptions options = {}) {
  auto out = start_post(io, client, std::move(url), std::move(body), std::move(options));
  REQUIRE(run_until(io, [&] { return out->has_value(); }));
  return **out;
}
}  // namespace

TEST_CASE("url: parses what a client needs and refuses what it cannot use") {
  auto url = url_of("http://Alertmanager.local:9093/prefix/api?x=1#frag");
  CHECK(url.host() == "alertmanager.local");
  CHECK(url.port() == 9093);
  CHECK(url.target() == "/prefix/api?x=1");
  CHECK(url.authority() == "alertmanager.local:9093");
  CHECK(url_of("http://127.0.0.1").port() == 80);
  CHECK(url_of("https://mimir").port() == 443);
  CHECK(url_of("https://mimir").tls());
  CHECK(url_of("http://h:1").target() == "/");
  CHECK(url_of("http://h?q").target() == "/?q");
  auto v6 = url_of("http://[::1]:9093/x");
  CHECK(v6.host() == "::1");
  CHECK(v6.authority() == "[::1]:9093");
  CHECK(url_of("http://[::1]").port() == 80);
  CHECK(url_of("http://h:9093").with_target("/api/v2/alerts").str() == "http://h:9093/api/v2/alerts");

  CHECK_FALSE(net::Url::parse("127.0.0.1:9093"));
  CHECK_FALSE(net::Url::parse("ftp://h/"));
  CHECK_FALSE(net::Url::parse("http://:80/"));
  CHECK_FALSE(net::Url::parse("http://h:0/"));
  CHECK_FALSE(net::Url::parse("http://h:65536/"));
  CHECK_FALSE(net::Url::parse("http://h:9x/"));
  CHECK_FALSE(net::Url::parse("http://[::1/"));
  CHECK_FALSE(net::Url::parse("http://h o/"));
  auto with_user = net::Url::parse("http://user:secret@h/");
  REQUIRE_FALSE(with_user);
  CHECK(with_user.error().find("credentials") != std::string::npos);
}

TEST_CASE("retry-after: delta-seconds and HTTP-date relative to the clock") {
  core::FakeClock clock;  // 2026-01-01T00:00:00Z
  CHECK(net::parse_retry_after("120", clock.wall()) == 120s);
  CHECK(net::parse_retry_after(" 0 ", clock.wall()) == 0s);
  CHECK(net::parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", clock.wall()) == 30s);
  CHECK(net::parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", clock.wall()) == 0s);
  CHECK(net::parse_retry_after("99999999999999999999999", clock.wall()) == std::chrono::seconds::max());
  CHECK_FALSE(net::parse_retry_after("soon", clock.wall()));
  CHECK_FALSE(net::parse_retry_after("12s", clock.wall()));
  CHECK_FALSE(net::parse_retry_after("", clock.wall()));
  CHECK_FALSE(net::parse_retry_after("-5", clock.wall()));
}

TEST_CASE("backoff: doubles from initial to max, jittered in [step/2, step], Retry-After honoured up to its cap") {
  net::Backoff backoff({.initial = 100ms, .max = 1000ms, .max_retry_after = 5000ms}, 42);
  const std::chrono::milliseconds steps[] = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms, 1000ms};
  for (auto step : steps) {
    const auto delay = backoff.next_delay();
    CHECK(delay >= step / 2);
    CHECK(delay <= step);
  }
  CHECK(backoff.failures() == 7);
  backoff.reset();
  const auto first = backoff.next_delay();
  CHECK(first >= 50ms);
  CHECK(first <= 100ms);
  CHECK(backoff.next_delay(3s) == 3000ms);               // longer than the backoff: the server wins
  CHECK(backoff.next_delay(3600s) == 5000ms);            // capped
  CHECK(backoff.next_delay(std::chrono::seconds::max()) == 5000ms);
  CHECK(backoff.next_delay(0s) >= 500ms);                // shorter: the backoff wins

  // Two senders with different seeds do not retry in lockstep.
  net::Backoff a({.initial = 1000ms, .max = 1000ms}, 1), b({.initial = 1000ms, .max = 1000ms}, 2);
  int same = 0;
  for (int i = 0; i < 20; ++i) same += a.next_delay() == b.next_delay();
  CHECK(same < 5);
}

TEST_CASE("http client: POST sends body and headers, reads status and body") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  server.set_default({.status = 200, .body = "{\"ok\":true}"});
  net::HttpClient client(io.get_executor());
  net::RequestOptions options;
  options.content_type = "application/x-protobuf";
  options.content_encoding = "snappy";
  options.headers = {{"X-Prometheus-Remote-Write-Version", "0.1.0"}};
  options.basic_auth = net::BasicAuth{"Aladdin", "open sesame"};
  auto result = post(io, client, server.url() + "/api/v2/alerts", "payload", options);
  CHECK(result.ok());
  CHECK(result.status == 200);
  CHECK(result.body == "{\"ok\":true}");
  CHECK_FALSE(result.reused_connection);
  REQUIRE(server.requests().size() == 1);
  const auto& request = server.requests()[0];
  CHECK(request.method == "POST");
  CHECK(request.target == "/api/v2/alerts");
  CHECK(request.body == "payload");
  CHECK(request.headers.at("content-type") == "application/x-protobuf");
  CHECK(request.headers.at("content-encoding") == "snappy");
  CHECK(request.headers.at("x-prometheus-remote-write-version") == "0.1.0");
  CHECK(request.headers.at("authorization") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(request.headers.at("host") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(request.headers.at("user-agent").rfind("logpulse/", 0) == 0);

  net::RequestOptions bearer;
  bearer.bearer_token = "t0ken";
  CHECK(post(io, client, server.url() + "/", "x", bearer).ok());
  CHECK(server.requests().back().headers.at("authorization") == "Bearer t0ken");
}

TEST_CASE("http client: keep-alive reuses one connection per host:port") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  net::HttpClient client(io.get_executor());
  for (int i = 0; i < 5; ++i) {
    auto result = post(io, client, server.url() + "/", "b" + std::to_string(i));
    CHECK(result.ok());
    CHECK(result.reused_connection == (i > 0));
  }
  CHECK(server.requests().size() == 5);
  CHECK(server.connections() == 1);
  CHECK(client.connections_opened() == 1);
  CHECK(client.idle_connections() == 1);

  // Another host:port gets its own connection; the first stays idle too.
  testing::ScriptedHttpServer other(io);
  CHECK(post(io, client, other.url() + "/", "x").ok());
  CHECK(client.idle_connections() == 2);
}

TEST_CASE("http client: a kept-alive connection the server closed is retried once on a new one") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  server.script({{.status = 200, .close_after = true}});
  net::HttpClient client(io.get_executor());
  CHECK(post(io, client, server.url() + "/", "first").ok());
  // The server has closed its side; the client learns it only when it uses the connection.
  auto second = post(io, client, server.url() + "/", "second");
  CHECK(second.ok());
  CHECK(server.connections() == 2);
  REQUIRE(server.requests().size() == 2);
  CHECK(server.requests()[1].body == "second");
}

TEST_CASE("http client: transport errors are results, not exceptions") {
  boost::asio::io_context io;
  net::HttpClient client(io.get_executor());

  auto refused = post(io, client, "http://127.0.0.1:" + std::to_string(testing::closed_port()) + "/", "x");
  CHECK(refused.status == 0);
  CHECK(refused.error == boost::asio::error::connection_refused);
  CHECK_FALSE(refused.ok());

  // https: the same transport errors; a server that does not speak TLS fails the handshake.
  auto tls_refused = post(io, client, "https://127.0.0.1:" + std::to_string(testing::closed_port()) + "/", "x");
  CHECK(tls_refused.error == boost::asio::error::connection_refused);
  testing::ScriptedHttpServer plain(io);
  plain.set_default(Reply{200});
  auto not_tls = post(io, client, "https://127.0.0.1:" + std::to_string(plain.port()) + "/", "x");
  CHECK(not_tls.error);
  CHECK(not_tls.status == 0);
  CHECK(plain.requests().empty());

  net::RequestOptions quick;
  quick.connect_timeout = 500ms;  // whatever the resolver does here, it is bounded
  auto unresolvable = post(io, client, "http://name.invalid:80/", "x", quick);
  CHECK(unresolvable.error);
  CHECK(unresolvable.status == 0);
}

TEST_CASE("http client: a server that never answers times out after the exchange timeout") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  server.set_default({.never_answer = true});
  net::HttpClient client(io.get_executor());
  net::RequestOptions options;
  options.exchange_timeout = 150ms;
  const auto started = std::chrono::steady_clock::now();
  auto result = post(io, client, server.url() + "/", "x", options);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(result.error == boost::beast::error::timeout);
  CHECK(result.describe() == "timeout");
  CHECK(took >= 150ms);  // no upper bound: a loaded machine or a sanitizer decides that
  CHECK(client.idle_connections() == 0);
}

TEST_CASE("http client: status, Retry-After and the response body limit") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  server.script({{.status = 429, .retry_after = "7"}, {.status = 503, .body = std::string(4096, 'x')}});
  net::HttpClient client(io.get_executor());
  auto limited = post(io, client, server.url() + "/", "x");
  CHECK(limited.status == 429);
  CHECK(limited.retry_after == 7s);
  CHECK_FALSE(limited.ok());
  CHECK_FALSE(limited.error);
  CHECK(limited.describe() == "HTTP 429");

  net::RequestOptions small;
  small.body_limit = 1024;
  auto too_big = post(io, client, server.url() + "/", "x", small);
  CHECK(too_big.status == 503);
  CHECK(too_big.error == boost::beast::http::error::body_limit);
  CHECK(client.idle_connections() == 0);  // a connection with an unread body is not reused
}

TEST_CASE("http client: shutdown aborts a request in flight") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  server.set_default({.never_answer = true});
  net::HttpClient client(io.get_executor());
  auto out = start_post(io, client, server.url() + "/", "x");
  REQUIRE(run_until(io, [&] { return server.requests().size() == 1; }));
  client.shutdown();
  REQUIRE(run_until(io, [&] { return out->has_value(); }, 1000ms));
  CHECK((*out)->error);
  CHECK((*out)->status == 0);
}

TEST_CASE("http client: an idle connection older than kMaxIdleTime is not reused (injected clock)") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  core::FakeClock clock;
  net::HttpClient client(io.get_executor(), clock);
  CHECK(post(io, client, server.url() + "/", "a").ok());
  clock.advance(net::kMaxIdleTime - 1s);
  CHECK(post(io, client, server.url() + "/", "b").reused_connection);
  clock.advance(net::kMaxIdleTime + 1s);
  auto late = post(io, client, server.url() + "/", "c");
  CHECK(late.ok());
  CHECK_FALSE(late.reused_connection);
  CHECK(client.connections_opened() == 2);
}
