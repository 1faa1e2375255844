#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <thread>

#include "alert/alert_queue.h"
#include "alert/alertmanager_sender.h"
#include "scripted_http_server.h"

using namespace logpulse;
using namespace std::chrono_literals;
using testing::Reply;
using testing::run_until;

namespace {
std::string alert_json(int n) { return R"({"labels":{"alertname":"A)" + std::to_string(n) + R"("}})"; }
std::string batch(int n) { return "[" + alert_json(n) + "]"; }

// Fast timings for tests: the policy is the same, the constants are small.
alert::AlertmanagerSenderOptions fast_options(std::vector<std::string> urls) {
  alert::AlertmanagerSenderOptions options;
  for (const auto& url : urls) options.urls.push_back(*net::Url::parse(url));
  options.backoff = {.initial = 20ms, .max = 200ms, .max_retry_after = 5s};
  options.request.connect_timeout = 500ms;
  options.request.exchange_timeout = 200ms;
  return options;
}

// Stops the sender and lets its workers return before it is destroyed.
struct Stopper {
  boost::asio::io_context& io;
  alert::AlertmanagerSender& sender;
  ~Stopper() {
    sender.stop();
    run_until(io, [&] { return sender.idle(); }, 2000ms);
  }
};
}  // namespace

TEST_CASE("alert queue: bounded by alerts and bytes, drops oldest, takes in order up to a batch size") {
  alert::AlertQueue queue(5, 1 << 20);
  for (int i = 1; i <= 4; ++i) CHECK(queue.push({batch(i), 1}) == 0);
  CHECK(queue.push({"[" + alert_json(5) + "," + alert_json(6) + "]", 2}) == 1);  // 6 > 5: batch 1 goes
  CHECK(queue.alerts() == 5);
  auto taken = queue.take(2);
  REQUIRE(taken.size() == 2);  // batches 2 and 3; batch 4 would make 3 alerts
  CHECK(taken[0].json == batch(2));
  CHECK(queue.alerts() == 3);
  auto rest = queue.take(1);
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].json == batch(4));
  // A failed attempt puts its batches back in front; over the bound, they go first.
  CHECK(queue.put_back(std::move(taken)) == 0);
  CHECK(queue.push({batch(7), 1}) == 0);
  CHECK(queue.push({batch(8), 1}) == 1);
  CHECK(queue.take(100).front().json == batch(3));

  alert::AlertQueue by_bytes(1000, 30);
  CHECK(by_bytes.push({batch(1), 1}) == 0);
  CHECK(by_bytes.push({batch(2), 1}) == 1);
  CHECK(by_bytes.alerts() == 1);
  alert::AlertQueue tiny(1, 1);
  CHECK(tiny.push({"[" + alert_json(1) + "," + alert_json(2) + "]", 2}) == 0);  // alone over the bound: kept
  CHECK(tiny.push({batch(3), 1}) == 2);
  CHECK(tiny.take(10).front().json == batch(3));

  CHECK(alert::join_json_arrays({{batch(1), 1}, {" [ ] ", 0}, {"[" + alert_json(2) + "," + alert_json(3) + "]\n", 2}}) ==
        "[" + alert_json(1) + "," + alert_json(2) + "," + alert_json(3) + "]");
  CHECK(alert::join_json_arrays({}) == "[]");
}

TEST_CASE("alertmanager sender: delivers a batch to /api/v2/alerts") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  alert::AlertmanagerSender sender(io, fast_options({server.url()}));
  Stopper stopper{io, sender};
  sender.start();
  CHECK(sender.enqueue(batch(1), 1));
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 1; }));
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].method == "POST");
  CHECK(server.requests()[0].target == "/api/v2/alerts");
  CHECK(server.requests()[0].body == batch(1));
  CHECK(server.requests()[0].headers.at("content-type") == "application/json");
  CHECK(sender.counters().failed == 0);
  CHECK(sender.queued_alerts(0) == 0);

  CHECK_FALSE(sender.enqueue("{\"not\":\"an array\"}", 1));
  CHECK(sender.counters().malformed == 1);

  // A path in the URL is a prefix, as Prometheus' path_prefix.
  alert::AlertmanagerSender prefixed(io, fast_options({server.url() + "/am/"}));
  CHECK(prefixed.endpoint_url(0).target() == "/am/api/v2/alerts");
}

TEST_CASE("alertmanager sender: a 500 is retried and the alert delivered once") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  server.script({{.status = 500}});
  alert::AlertmanagerSender sender(io, fast_options({server.url()}));
  Stopper stopper{io, sender};
  sender.start();
  sender.enqueue(batch(1), 1);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 1; }));
  CHECK(server.requests().size() == 2);
  CHECK(server.requests()[1].body == batch(1));
  CHECK(sender.counters().failed == 1);
  CHECK(sender.counters().rejected == 0);
  // Delivered once: nothing more arrives while later batches go through.
  sender.enqueue(batch(2), 1);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 2; }));
  CHECK(server.requests().size() == 3);
  CHECK(server.requests()[2].body == batch(2));
}

TEST_CASE("alertmanager sender: a 400 is not retried, counted as failed and rejected") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  server.script({{.status = 400, .body = "bad alert"}});
  alert::AlertmanagerSender sender(io, fast_options({server.url()}));
  Stopper stopper{io, sender};
  sender.start();
  sender.enqueue(batch(1), 1);
  REQUIRE(run_until(io, [&] { return sender.counters().rejected == 1; }));
  // The next batch arrives next: batch 1 was not sent again.
  sender.enqueue(batch(2), 1);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 1; }));
  REQUIRE(server.requests().size() == 2);
  CHECK(server.requests()[0].body == batch(1));
  CHECK(server.requests()[1].body == batch(2));
  CHECK(sender.counters().failed == 1);
}

TEST_CASE("alertmanager sender: a 429 waits for Retry-After before the retry") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  server.script({{.status = 429, .retry_after = "1"}});
  alert::AlertmanagerSender sender(io, fast_options({server.url()}));
  Stopper stopper{io, sender};
  sender.start();
  sender.enqueue(batch(1), 1);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 1; }, 5000ms));
  REQUIRE(server.requests().size() == 2);
  const auto gap = server.requests()[1].at - server.requests()[0].at;
  CHECK(gap >= 1000ms);  // not the 20 ms backoff
  CHECK(gap < 2000ms);
  CHECK(sender.counters().failed == 1);
}

TEST_CASE("alertmanager sender: a server that never answers times out, then the retry delivers") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  server.script({{.never_answer = true}});
  alert::AlertmanagerSender sender(io, fast_options({server.url()}));
  Stopper stopper{io, sender};
  sender.start();
  sender.enqueue(batch(1), 1);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 1; }));
  REQUIRE(server.requests().size() == 2);
  CHECK(server.requests()[1].at - server.requests()[0].at >= 200ms);  // the exchange timeout
  CHECK(server.connections() == 2);  // the timed-out connection is not reused
  CHECK(sender.counters().failed == 1);
}

TEST_CASE("alertmanager sender: connection refused is retried with growing backoff until the server is up") {
  boost::asio::io_context io;
  const auto port = testing::closed_port();
  auto options = fast_options({"http://127.0.0.1:" + std::to_string(port)});
  options.backoff = {.initial = 40ms, .max = 400ms};
  alert::AlertmanagerSender sender(io, options);
  Stopper stopper{io, sender};
  sender.start();
  sender.enqueue(batch(1), 1);
  std::vector<std::chrono::steady_clock::time_point> failures;
  REQUIRE(run_until(io, [&] {
    if (sender.counters().failed > failures.size()) failures.push_back(std::chrono::steady_clock::now());
    return failures.size() == 5;
  }));
  // Gaps: jittered 20-40, 40-80, 80-160, 160-320 ms (plus scheduling).
  CHECK(failures[4] - failures[3] >= 160ms);
  CHECK(failures[4] - failures[3] > failures[1] - failures[0]);
  CHECK(sender.counters().sent == 0);
  CHECK(sender.queued_alerts(0) == 1);  // the batch waits in its queue between attempts

  testing::ScriptedHttpServer server(io, port);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 1; }));
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].body == batch(1));
}

TEST_CASE("alertmanager sender: each URL of a cluster receives every alert") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer a(io), b(io);
  b.script({{.status = 503}});  // one failing member does not hold the other back
  alert::AlertmanagerSender sender(io, fast_options({a.url(), b.url()}));
  Stopper stopper{io, sender};
  sender.start();
  sender.enqueue(batch(1), 1);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 2; }));
  sender.enqueue(batch(2), 1);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 4; }));
  REQUIRE(a.requests().size() == 2);
  REQUIRE(b.requests().size() == 3);
  CHECK(a.requests()[0].body == batch(1));
  CHECK(a.requests()[1].body == batch(2));
  CHECK(b.requests()[1].body == batch(1));
  CHECK(b.requests()[2].body == batch(2));
  CHECK(sender.counters().failed == 1);
}

TEST_CASE("alertmanager sender: a full queue drops the oldest alerts and counts them") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  auto options = fast_options({server.url()});
  options.max_queued_alerts = 5;
  alert::AlertmanagerSender sender(io, options);
  Stopper stopper{io, sender};
  sender.start();
  // The loop does not run while these are queued: as if the Alertmanager were stuck.
  for (int i = 1; i <= 8; ++i) sender.enqueue(batch(i), 1);
  CHECK(sender.counters().dropped == 3);
  CHECK(sender.queued_alerts(0) == 5);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 5; }));
  REQUIRE(server.requests().size() == 1);  // joined into one POST
  CHECK(server.requests()[0].body == "[" + alert_json(4) + "," + alert_json(5) + "," + alert_json(6) + "," + alert_json(7) + "," +
                                         alert_json(8) + "]");
}

TEST_CASE("alertmanager sender: batches join up to max_alerts_per_post, on one kept-alive connection") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  auto options = fast_options({server.url()});
  options.max_alerts_per_post = 2;
  alert::AlertmanagerSender sender(io, options);
  Stopper stopper{io, sender};
  sender.start();
  for (int i = 1; i <= 5; ++i) sender.enqueue(batch(i), 1);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 5; }));
  REQUIRE(server.requests().size() == 3);
  CHECK(server.requests()[0].body == "[" + alert_json(1) + "," + alert_json(2) + "]");
  CHECK(server.requests()[2].body == batch(5));
  sender.enqueue(batch(6), 1);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 6; }));
  CHECK(server.connections() == 1);
}

TEST_CASE("alertmanager sender: enqueue from another thread while the loop runs") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  alert::AlertmanagerSender sender(io, fast_options({server.url()}));
  Stopper stopper{io, sender};
  sender.start();
  std::thread producer([&] {
    for (int i = 0; i < 300; ++i) sender.enqueue(batch(i), 1);
  });
  const bool delivered = run_until(io, [&] { return sender.counters().sent == 300; });
  producer.join();
  CHECK(delivered);
  CHECK(sender.counters().dropped == 0);
  std::size_t alerts = 0;
  for (const auto& request : server.requests()) alerts += std::count(request.body.begin(), request.body.end(), '{') / 2;
  CHECK(alerts == 300);
}

TEST_CASE("alertmanager sender: a stuck Alertmanager costs the caller nothing and memory stays at the bound") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  server.set_default({.never_answer = true});
  alert::AlertmanagerSender sender(io, fast_options({server.url()}));
  Stopper stopper{io, sender};
  sender.start();
  sender.enqueue(batch(0), 1);
  REQUIRE(run_until(io, [&] { return server.requests().size() == 1; }));  // in flight, unanswered
  constexpr int kAlerts = 10'000;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 1; i <= kAlerts; ++i) sender.enqueue(batch(i), 1);
  const auto took = std::chrono::steady_clock::now() - started;
  MESSAGE("enqueue: ", std::chrono::duration_cast<std::chrono::nanoseconds>(took).count() / kAlerts, " ns per alert");
  // Not timed against a bound (a loaded machine or a sanitizer decides that): an enqueue
  // that waited for the stuck Alertmanager would never return, and the test would hang.
  CHECK(sender.queued_alerts(0) == alert::kMaxQueuedAlerts);
  CHECK(sender.counters().dropped == kAlerts - alert::kMaxQueuedAlerts);
}

TEST_CASE("alertmanager sender: a slow answer within the exchange timeout is a delivery, not a retry") {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server(io);
  server.script({{.delay = 100ms}});  // fast_options: 200 ms exchange timeout
  alert::AlertmanagerSender sender(io, fast_options({server.url()}));
  Stopper stopper{io, sender};
  sender.start();
  sender.enqueue(batch(1), 1);
  REQUIRE(run_until(io, [&] { return sender.counters().sent == 1; }));
  CHECK(server.requests().size() == 1);
  CHECK(sender.counters().failed == 0);
}
