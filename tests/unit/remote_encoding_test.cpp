// Remote write's encoding: /metrics families to series, WriteRequest + snappy, and back.
#include <doctest/doctest.h>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <snappy.h>

#include <map>

#include "remote/series_snapshot.h"
#include "remote/write_request.h"

using namespace logpulse::remote;

namespace {
// name{labels} -> value, for checks that do not depend on order.
std::map<std::string, double> by_text(const std::vector<Series>& series) {
  std::map<std::string, double> out;
  for (const auto& s : series) {
    std::string key;
    for (const auto& [name, value] : s.labels) key += name + "=" + value + ",";
    out[key] = s.value;
  }
  return out;
}
}  // namespace

TEST_CASE("snapshot: counters, gauges, histograms and summaries as the text format names them") {
  prometheus::Registry registry;
  prometheus::BuildCounter().Name("hits_total").Register(registry).Add({{"code", "200"}}).Increment(3);
  prometheus::BuildGauge().Name("temp").Register(registry).Add({{"host", "own"}}).Set(-1.5);
  prometheus::BuildHistogram().Name("lat").Register(registry).Add({}, prometheus::Histogram::BucketBoundaries{0.5, 1}).Observe(0.7);
  prometheus::BuildSummary().Name("sz").Register(registry)
      .Add({}, prometheus::Summary::Quantiles{{0.5, 0.05}}).Observe(4);

  std::vector<Series> out;
  append_series(out, registry.Collect(), {{"dc", "eu"}, {"host", "ext"}}, 1767225600123);
  for (const auto& s : out) {
    CHECK(s.timestamp_ms == 1767225600123);
    CHECK(std::is_sorted(s.labels.begin(), s.labels.end()));
  }
  const auto values = by_text(out);
  CHECK(values.at("__name__=hits_total,code=200,dc=eu,host=ext,") == 3);
  CHECK(values.at("__name__=temp,dc=eu,host=own,") == -1.5);  // the series' own label wins
  CHECK(values.at("__name__=lat_bucket,dc=eu,host=ext,le=0.5,") == 0);
  CHECK(values.at("__name__=lat_bucket,dc=eu,host=ext,le=1,") == 1);
  CHECK(values.at("__name__=lat_bucket,dc=eu,host=ext,le=+Inf,") == 1);
  CHECK(values.at("__name__=lat_sum,dc=eu,host=ext,") == doctest::Approx(0.7));
  CHECK(values.at("__name__=lat_count,dc=eu,host=ext,") == 1);
  CHECK(values.at("__name__=sz,dc=eu,host=ext,quantile=0.5,") == 4);
  CHECK(values.at("__name__=sz_sum,dc=eu,host=ext,") == 4);
  CHECK(values.at("__name__=sz_count,dc=eu,host=ext,") == 1);
  CHECK(out.size() == 10);
}

TEST_CASE("WriteRequest: encoded, snappy-compressed, decoded back the same") {
  std::vector<Series> series{
      {{{"__name__", "a_total"}, {"job", "x"}}, 42, 1000},
      {{{"__name__", "b"}, {"le", "+Inf"}, {"z", "ünïcode"}}, 0.25, 2000},
  };
  const std::string body = encode_write_request(series);
  std::string raw;
  REQUIRE(snappy::Uncompress(body.data(), body.size(), &raw));  // snappy block format
  CHECK(raw.size() > body.size() / 2);
  const auto back = decode_write_request(body);
  REQUIRE(back);
  CHECK(*back == series);
  CHECK_FALSE(decode_write_request("not snappy at all"));
  std::string garbage;
  snappy::Compress("\xff\xff\xff\xff", 4, &garbage);
  CHECK_FALSE(decode_write_request(garbage));
}
