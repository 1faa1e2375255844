#include <doctest/doctest.h>

#include "core/text_escape.h"
#include "http/connection_table.h"
#include "http/request_target.h"
#include "http/router.h"
#include "metrics/exposition.h"
#include "metrics/self_metrics.h"

using namespace logpulse;

namespace {
http::Response get(const http::Router& router, const std::string& target,
                   boost::beast::http::verb verb = boost::beast::http::verb::get) {
  http::Request request{verb, target, 11};
  return router.handle(request);
}

struct RouterFixture {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  core::StatusBoard board;
  http::Router router{[r = registry] { return std::vector<std::shared_ptr<const prometheus::Collectable>>{r}; }, board};
};

http::Response get_with_encoding(const http::Router& router, const std::string& accept_encoding) {
  http::Request request{boost::beast::http::verb::get, "/metrics", 11};
  request.set(boost::beast::http::field::accept_encoding, accept_encoding);
  return router.handle(request);
}
}  // namespace

TEST_CASE("router: an absolute-form target is served like its path (RFC 9112 3.2.2)") {
  RouterFixture f;
  CHECK(get(f.router, "http://127.0.0.1:9273/metrics").result() == boost::beast::http::status::ok);
  CHECK(get(f.router, "HTTP://example.org/-/healthy?x=1").result() == boost::beast::http::status::ok);
  CHECK(get(f.router, "http://example.org/nope").result() == boost::beast::http::status::not_found);
  CHECK(get(f.router, "http://example.org:9273/metrics", boost::beast::http::verb::post).result() ==
        boost::beast::http::status::method_not_allowed);
}

TEST_CASE("router: Accept-Encoding codings are case-insensitive and q=0 refuses") {
  RouterFixture f;
  CHECK(get_with_encoding(f.router, "GZIP")[boost::beast::http::field::content_encoding] == "gzip");
  CHECK(get_with_encoding(f.router, "deflate, Gzip;Q=0.5")[boost::beast::http::field::content_encoding] == "gzip");
  CHECK(get_with_encoding(f.router, "gzip;q=0").count(boost::beast::http::field::content_encoding) == 0);
  CHECK(get_with_encoding(f.router, "gzip;q=0, *").count(boost::beast::http::field::content_encoding) == 0);
  CHECK(get_with_encoding(f.router, "gzip; q=0.000").count(boost::beast::http::field::content_encoding) == 0);
}

TEST_CASE("accept-encoding parsing") {
  CHECK(http::accepts_gzip("gzip"));
  CHECK(http::accepts_gzip("deflate, gzip;q=0.5"));
  CHECK(http::accepts_gzip("*"));
  CHECK(http::accepts_gzip("GZIP"));
  CHECK(http::accepts_gzip("x-gzip"));
  CHECK(http::accepts_gzip("br;q=1.0, Gzip ; Q=0.001"));
  CHECK(http::accepts_gzip("gzip;q=0, gzip;q=1"));
  CHECK_FALSE(http::accepts_gzip("gzip;q=0"));
  CHECK_FALSE(http::accepts_gzip("gzip;q=0.000"));
  CHECK_FALSE(http::accepts_gzip("gzip;q=0, *"));
  CHECK_FALSE(http::accepts_gzip("*;q=0"));
  CHECK_FALSE(http::accepts_gzip("gzip;q=abc"));
  CHECK_FALSE(http::accepts_gzip("gzipped"));
  CHECK_FALSE(http::accepts_gzip("identity"));
  CHECK_FALSE(http::accepts_gzip(""));
}

TEST_CASE("request path of origin-form and absolute-form targets") {
  CHECK(http::request_path("/metrics") == "/metrics");
  CHECK(http::request_path("/metrics?x=1") == "/metrics");
  CHECK(http::request_path("http://127.0.0.1:9273/metrics") == "/metrics");
  CHECK(http::request_path("HTTPS://h/-/healthy?x") == "/-/healthy");
  CHECK(http::request_path("http://h:1") == "/");
  CHECK(http::request_path("http://h?q") == "/");
  CHECK(http::request_path("*") == "*");
}

namespace {
using Table = http::ConnectionTable;
const auto kT0 = Table::Clock::time_point{} + std::chrono::hours(1);
const auto kA = boost::asio::ip::make_address("10.0.0.1");
const auto kB = boost::asio::ip::make_address("10.0.0.2");

// A table whose close callbacks record which connection was evicted.
struct TableFixture {
  Table table;
  std::vector<int> closed;
  TableFixture(std::size_t max, std::size_t per_address) : table(max, per_address) {}
  Table::Id add(int name, const boost::asio::ip::address& address, Table::Clock::time_point at) {
    return table.add(address, at, [this, name] { closed.push_back(name); });
  }
};
}  // namespace

TEST_CASE("connection table: a full table closes the longest-idle keep-alive connection first") {
  TableFixture f(3, 3);
  auto a = f.add(1, kA, kT0 - std::chrono::seconds(10));  // a request due for 10 s
  auto b = f.add(2, kB, kT0 - std::chrono::seconds(9));
  f.add(3, kA, kT0 - std::chrono::seconds(8));
  f.table.set_phase(a, Table::Phase::idle, kT0);
  f.table.set_phase(b, Table::Phase::idle, kT0 - std::chrono::seconds(5));  // idle longest
  CHECK(f.table.make_room(kB, kT0 + std::chrono::seconds(1)).made);
  CHECK(f.closed == std::vector<int>{2});
  CHECK(f.table.make_room(kB, kT0 + std::chrono::seconds(1)).made);
  CHECK(f.closed == std::vector<int>{2});  // room for one was there already
  f.add(4, kB, kT0 + std::chrono::seconds(1));
  CHECK(f.table.make_room(kB, kT0 + std::chrono::seconds(1)).made);
  CHECK(f.closed == std::vector<int>{2, 1});
  CHECK(f.table.size() == 2);
  CHECK(f.table.evictions() == 2);
}

TEST_CASE("connection table: then the request that started longest ago, so a newcomer goes last") {
  TableFixture f(3, 3);
  f.add(1, kA, kT0);                            // never sent a byte
  f.add(2, kA, kT0 + std::chrono::seconds(1));  // dripping its headers
  f.table.set_phase(f.add(3, kA, kT0), Table::Phase::idle, kT0 + std::chrono::seconds(2));
  CHECK(f.table.make_room(kB, kT0 + std::chrono::seconds(3)).made);
  CHECK(f.closed == std::vector<int>{3});
  f.add(4, kB, kT0 + std::chrono::seconds(3));  // a newcomer, its request due from now
  CHECK(f.table.make_room(kB, kT0 + std::chrono::seconds(3)).made);
  CHECK(f.table.make_room(kB, kT0 + std::chrono::seconds(3)).made);
  CHECK(f.closed == std::vector<int>{3, 1});
  f.add(5, kB, kT0 + std::chrono::seconds(4));
  CHECK(f.table.make_room(kB, kT0 + std::chrono::seconds(4)).made);
  CHECK(f.closed == std::vector<int>{3, 1, 2});
  f.add(6, kB, kT0 + std::chrono::seconds(4));
  CHECK(f.table.make_room(kB, kT0 + std::chrono::seconds(4)).made);
  CHECK(f.closed == std::vector<int>{3, 1, 2, 4});
}

TEST_CASE("connection table: a writing connection gives way only once stalled") {
  TableFixture f(2, 2);
  auto a = f.add(1, kA, kT0);
  auto b = f.add(2, kA, kT0);
  f.table.set_phase(a, Table::Phase::writing, kT0);
  f.table.set_phase(b, Table::Phase::writing, kT0 + std::chrono::milliseconds(500));
  auto room = f.table.make_room(kB, kT0 + std::chrono::milliseconds(900));
  CHECK_FALSE(room.made);
  CHECK(room.retry_at == kT0 + Table::kStalledWrite);
  CHECK(f.closed.empty());
  CHECK(f.table.make_room(kB, kT0 + Table::kStalledWrite).made);
  CHECK(f.closed == std::vector<int>{1});
}

TEST_CASE("connection table: nobody gives way within the grace period, however many newcomers") {
  TableFixture f(2, 2);
  f.add(1, kA, kT0);
  auto b = f.add(2, kA, kT0 + std::chrono::milliseconds(10));
  f.table.set_phase(b, Table::Phase::idle, kT0 + std::chrono::milliseconds(10));
  auto room = f.table.make_room(kA, kT0 + std::chrono::milliseconds(20));
  CHECK_FALSE(room.made);
  CHECK(room.retry_at == kT0 + Table::kEvictionGrace);  // the older one's grace ends first
  CHECK(f.closed.empty());
  CHECK(f.table.make_room(kA, kT0 + Table::kEvictionGrace).made);
  CHECK(f.closed == std::vector<int>{1});
  CHECK(f.table.make_room(kA, kT0 + Table::kEvictionGrace).made);  // room for one already
  CHECK(f.closed == std::vector<int>{1});
}

TEST_CASE("connection table: one address is bounded and makes room among its own connections") {
  TableFixture f(10, 2);
  f.add(1, kB, kT0 - std::chrono::seconds(9));  // another client's, the oldest
  f.add(2, kA, kT0 - std::chrono::seconds(2));
  f.add(3, kA, kT0 - std::chrono::seconds(1));
  CHECK(f.table.count(kA) == 2);
  CHECK(f.table.make_room(kA, kT0).made);
  CHECK(f.closed == std::vector<int>{2});
  CHECK(f.table.make_room(kB, kT0).made);
  CHECK(f.closed == std::vector<int>{2});
}

TEST_CASE("connection table: evict_one frees a slot anywhere; removed and evicted ids are ignored") {
  TableFixture f(4, 4);
  auto a = f.add(1, kA, kT0);
  auto b = f.add(2, kB, kT0 - std::chrono::seconds(1));
  CHECK(f.table.evict_one(kT0).made);
  CHECK(f.closed == std::vector<int>{2});
  f.table.set_phase(b, Table::Phase::reading, kT0);  // the evicted coroutine finishing
  f.table.remove(b);
  CHECK_FALSE(f.table.evict_one(kT0).made);  // a is in its grace period
  f.table.remove(a);
  CHECK(f.table.size() == 0);
  auto room = f.table.evict_one(kT0 + std::chrono::seconds(1));
  CHECK_FALSE(room.made);
  CHECK(room.retry_at == Table::Clock::time_point::max());
  CHECK(f.closed == std::vector<int>{2});
}

TEST_CASE("gzip output carries the gzip magic") {
  std::string packed = metrics::gzip(std::string(1000, 'a'));
  REQUIRE(packed.size() > 2);
  CHECK(static_cast<unsigned char>(packed[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(packed[1]) == 0x8b);
  CHECK(packed.size() < 100);
}

TEST_CASE("utf-8 repair and escaping") {
  CHECK(core::repair_utf8("ok") == "ok");
  CHECK(core::repair_utf8("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(core::repair_utf8("a\xff"
                          "b") ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(core::repair_utf8("\xe2\x82") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(core::json_escape("a\"b\\\n\x01") == "a\\\"b\\\\\\n\\u0001");
  CHECK(core::html_escape("<a&b>") == "&lt;a&amp;b&gt;");
}

TEST_CASE("router: endpoints, 404, 405, readiness") {
  auto registry = std::make_shared<prometheus::Registry>();
  metrics::SelfMetrics self(*registry);
  auto source = self.for_source("app");
  source->record_batch(3, 30, 1, 0);
  core::StatusBoard board;
  http::Router router([registry] { return std::vector<std::shared_ptr<const prometheus::Collectable>>{registry}; },
                      board);

  auto metrics = get(router, "/metrics");
  CHECK(metrics.result() == boost::beast::http::status::ok);
  CHECK(metrics.body().find("logpulse_lines_read_total{source=\"app\"} 3") != std::string::npos);
  CHECK(metrics.body().find("logpulse_lines_truncated_total{source=\"app\"} 1") != std::string::npos);
  CHECK(metrics.body().find("logpulse_build_info{version=\"" LOGPULSE_VERSION "\"} 1") != std::string::npos);
  CHECK(get(router, "/-/healthy").result() == boost::beast::http::status::ok);
  CHECK(get(router, "/-/ready").result() == boost::beast::http::status::service_unavailable);
  board.set_ready();
  CHECK(get(router, "/-/ready").result() == boost::beast::http::status::ok);
  CHECK(get(router, "/api/v1/alerts").body() == "{\"status\":\"success\",\"data\":{\"alerts\":[]}}\n");
  CHECK(get(router, "/nope").result() == boost::beast::http::status::not_found);
  CHECK(get(router, "/metrics", boost::beast::http::verb::post).result() ==
        boost::beast::http::status::method_not_allowed);
  CHECK(get(router, "/metrics?x=1").result() == boost::beast::http::status::ok);

  core::SourceStatus status;
  status.name = "app";
  status.watcher = "inotify";
  status.lines_read = 4;
  status.lines_unmatched = 1;
  status.has_rules = true;
  status.files = {core::FileStatus{"/l/\"q\".log", "1:2:3:4", 10, 20, 10, "following"}};
  board.publish({status});
  auto json = get(router, "/api/v1/sources");
  CHECK(json.body().find("\"path\":\"/l/\\\"q\\\".log\"") != std::string::npos);
  CHECK(json.body().find("\"lag\":10") != std::string::npos);
  auto page = get(router, "/");
  CHECK(page.body().find("source app") != std::string::npos);
  CHECK(page.body().find("75.0% matched") != std::string::npos);
  CHECK(page[boost::beast::http::field::content_type] == "text/html; charset=utf-8");
}
