// Remote write's queue: bounds and drop counting, the on-disk segments, and one endpoint
// delivering to a scripted receiver (retries on 5xx, none on 4xx, split into batches).
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <prometheus/registry.h>

#include "remote/remote_write_metrics.h"
#include "remote/sample_queue.h"
#include "remote/segment_store.h"
#include "remote/write_endpoint.h"
#include "remote/write_request.h"
#include "scripted_http_server.h"

using namespace logpulse;
using namespace logpulse::remote;
using namespace std::chrono_literals;
using testing::run_until;

namespace {
std::vector<Series> snapshot(int n, std::int64_t t) {
  std::vector<Series> out;
  for (int i = 0; i < n; ++i) out.push_back(Series{{{"__name__", "m"}, {"i", std::to_string(i)}}, double(i), t});
  return out;
}

struct TempDir {
  std::string path;
  TempDir() {
    char templ[] = "/tmp/logpulse-remote-XXXXXX";
    path = ::mkdtemp(templ);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};
}  // namespace

TEST_CASE("sample queue: bounded by samples, the oldest segments dropped and counted") {
  SampleQueue queue(10, 1 << 20);
  CHECK(queue.push({1, snapshot(4, 1)}).dropped_samples == 0);
  CHECK(queue.push({2, snapshot(4, 2)}).dropped_samples == 0);
  auto result = queue.push({3, snapshot(4, 3)});  // 12 > 10: segment 1 goes
  CHECK(result.dropped_samples == 4);
  CHECK(result.dropped_segments == std::vector<std::uint64_t>{1});
  CHECK(queue.samples() == 8);
  auto batch = queue.take(3);
  CHECK(batch.sequence == 2);
  CHECK(batch.series.size() == 3);
  CHECK(batch.series[0].timestamp_ms == 2);
  // The segment in flight is never dropped: segment 3 goes instead.
  result = queue.push({4, snapshot(4, 4)});
  CHECK(result.dropped_segments == std::vector<std::uint64_t>{3});
  CHECK_FALSE(queue.finish(batch));  // one series of segment 2 left
  batch = queue.take(3);
  CHECK(batch.series.size() == 1);
  CHECK(batch.offset == 3);
  CHECK(queue.finish(batch) == std::optional<std::uint64_t>{2});
  CHECK(queue.samples() == 4);
  // A snapshot alone over the bound keeps its first series.
  SampleQueue small(3, 1 << 20);
  result = small.push({1, snapshot(5, 1)});
  CHECK(result.trimmed);
  CHECK(result.dropped_samples == 2);
  CHECK(small.samples() == 3);
}

TEST_CASE("sample queue: bounded by bytes") {
  const std::size_t one = snapshot(1, 0)[0].bytes();
  SampleQueue queue(1000, one * 5);
  queue.push({1, snapshot(3, 1)});
  auto result = queue.push({2, snapshot(3, 2)});
  CHECK(result.dropped_samples == 3);
  CHECK(queue.bytes() == one * 3);
}

TEST_CASE("segment store: saved atomically, loaded in order, corrupt and temporary files removed") {
  TempDir dir;
  {
    SegmentStore store(dir.path + "/q");
    store.save({2, snapshot(2, 20)});
    store.save({1, snapshot(1, 10)});
    store.save({3, snapshot(1, 30)});
    store.remove(3);
    std::ofstream(dir.path + "/q/00000000000000000009.seg") << "garbage";
    std::ofstream(dir.path + "/q/00000000000000000010.seg.tmp") << "half";
  }
  SegmentStore store(dir.path + "/q");
  auto loaded = store.load();
  REQUIRE(loaded.segments.size() == 2);
  CHECK(loaded.segments[0].sequence == 1);
  CHECK(loaded.segments[1].sequence == 2);
  CHECK(loaded.segments[1].series == snapshot(2, 20));
  CHECK(loaded.problems.size() == 1);
  CHECK_FALSE(std::filesystem::exists(dir.path + "/q/00000000000000000009.seg"));
  CHECK_FALSE(std::filesystem::exists(dir.path + "/q/00000000000000000010.seg.tmp"));
}

namespace {
struct EndpointFixture {
  boost::asio::io_context io;
  testing::ScriptedHttpServer server{io};
  net::HttpClient client{io.get_executor()};
  prometheus::Registry registry;
  std::unique_ptr<WriteEndpoint> endpoint;

  void make(EndpointOptions options) {
    options.backoff = {.initial = 20ms, .max = 200ms, .max_retry_after = 5s};
    options.request.exchange_timeout = 500ms;
    endpoint = std::make_unique<WriteEndpoint>(io.get_executor(), client, std::move(options),
                                               endpoint_metrics(registry, "u"));
    endpoint->load();
    boost::asio::co_spawn(io, endpoint->run(), boost::asio::detached);
  }
  EndpointOptions options() { return EndpointOptions{.url = *net::Url::parse(server.url() + "/api/v1/write")}; }
  double counted(const std::string& outcome) {
    for (const auto& family : registry.Collect())
      if (family.name == "logpulse_remote_write_samples_total")
        for (const auto& metric : family.metric)
          for (const auto& label : metric.label)
            if (label.name == "outcome" && label.value == outcome) return metric.counter.value;
    return -1;
  }
  ~EndpointFixture() {
    if (!endpoint) return;
    endpoint->stop();
    client.shutdown();
    run_until(io, [&] { return endpoint->idle(); }, 2000ms);
  }
};
}  // namespace

TEST_CASE("write endpoint: POSTs snappy protobuf with the remote-write headers, in batches") {
  EndpointFixture f;
  auto options = f.options();
  options.max_samples_per_send = 3;
  f.make(std::move(options));
  f.endpoint->push(snapshot(5, 1000));
  REQUIRE(run_until(f.io, [&] { return f.counted("sent") == 5; }));
  REQUIRE(f.server.requests().size() == 2);
  const auto& request = f.server.requests()[0];
  CHECK(request.target == "/api/v1/write");
  CHECK(request.headers.at("content-encoding") == "snappy");
  CHECK(request.headers.at("content-type") == "application/x-protobuf");
  CHECK(request.headers.at("x-prometheus-remote-write-version") == "0.1.0");
  auto first = decode_write_request(request.body);
  REQUIRE(first);
  CHECK(first->size() == 3);
  auto second = decode_write_request(f.server.requests()[1].body);
  REQUIRE(second);
  CHECK((*second)[1] == snapshot(5, 1000)[4]);
  CHECK(f.endpoint->queued_samples() == 0);
}

TEST_CASE("write endpoint: a 503 is retried, a 400 is not (counted failed once), the queue empties") {
  EndpointFixture f;
  f.server.script({{.status = 503}, {.status = 400, .body = "out of order"}});
  f.make(f.options());
  f.endpoint->push(snapshot(2, 1));
  REQUIRE(run_until(f.io, [&] { return f.counted("failed") == 2; }));
  CHECK(f.counted("retried") == 2);
  CHECK(f.endpoint->queued_samples() == 0);
  f.endpoint->push(snapshot(1, 2));
  REQUIRE(run_until(f.io, [&] { return f.counted("sent") == 1; }));
  CHECK(f.server.requests().size() == 3);
  CHECK(f.counted("failed") == 2);
}

TEST_CASE("write endpoint: with a segment dir, what was not delivered is sent by the next endpoint") {
  TempDir dir;
  const auto port = testing::closed_port();
  {
    EndpointFixture f;
    auto options = f.options();
    options.url = *net::Url::parse("http://127.0.0.1:" + std::to_string(port) + "/w");
    options.segment_dir = dir.path + "/seg";
    f.make(std::move(options));
    f.endpoint->push(snapshot(2, 111));
    f.endpoint->push(snapshot(1, 222));
    REQUIRE(run_until(f.io, [&] { return f.counted("retried") >= 2; }));
  }
  EndpointFixture f;
  auto options = f.options();
  options.segment_dir = dir.path + "/seg";
  f.make(std::move(options));
  CHECK(f.endpoint->queued_samples() == 3);
  REQUIRE(run_until(f.io, [&] { return f.counted("sent") == 3; }));
  auto first = decode_write_request(f.server.requests()[0].body);
  REQUIRE(first);
  CHECK((*first)[0].timestamp_ms == 111);
  CHECK(std::filesystem::is_empty(dir.path + "/seg"));
}
