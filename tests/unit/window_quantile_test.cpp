#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "window/log_bins.h"
#include "window_support.h"

using namespace window_test;
using logpulse::window::Agg;

namespace {

const std::string_view kGet[] = {"GET"};
const double kQuantiles[] = {0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0};

window::WindowSpec quantile_spec() {
  auto s = spec_of(Agg::kQuantile, 60s);
  s.quantiles.assign(std::begin(kQuantiles), std::end(kQuantiles));
  return s;
}

// Feeds `values` spread over the window's 60 buckets and returns the worst relative error of
// any quantile against the exact one.
double worst_error(const std::vector<double>& values) {
  core::FakeClock clock;
  auto w = window::make_window(quantile_spec());
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto at = clock.wall() + std::chrono::milliseconds(i * 59'000 / values.size());
    w->add({.labels = kGet, .value = values[i]}, at, at);
  }
  std::vector<window::Point> points;
  w->read(clock.wall() + 59s, points);
  REQUIRE(points.size() == std::size(kQuantiles));
  double worst = 0;
  for (const auto& p : points) {
    double want = exact_quantile(values, p.quantile);
    double err = relative_error(p.value, want);
    if (err > worst) worst = err;
    CHECK_MESSAGE(err <= 0.01, "q=", p.quantile, " got ", p.value, " want ", want);
  }
  return worst;
}

}  // namespace

TEST_CASE("window quantile within 1% on random and adversarial data") {
  std::mt19937_64 rng(42);
  double worst = 0;
  SUBCASE("lognormal latencies") {
    std::lognormal_distribution<double> d(-3, 1.5);
    std::vector<double> v(200'000);
    for (auto& x : v) x = d(rng);
    worst = worst_error(v);
  }
  SUBCASE("all values equal") {
    worst = worst_error(std::vector<double>(50'000, 0.123456));
  }
  SUBCASE("heavy tail: Pareto alpha 0.5") {
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> v(200'000);
    for (auto& x : v) x = 0.001 / std::pow(1 - u(rng), 1 / 0.5);
    worst = worst_error(v);
  }
  SUBCASE("values spanning 1e-9 .. 1e9") {
    std::uniform_real_distribution<double> e(-9, 9);
    std::vector<double> v(200'000);
    for (auto& x : v) x = std::pow(10.0, e(rng));
    worst = worst_error(v);
  }
  SUBCASE("two far clusters and a few huge outliers") {
    std::vector<double> v;
    for (int i = 0; i < 50'000; ++i) v.push_back(1e-3 * (1 + i % 7));
    for (int i = 0; i < 50'000; ++i) v.push_back(1e3 * (1 + i % 5));
    for (int i = 0; i < 10; ++i) v.push_back(1e15);
    worst = worst_error(v);
  }
  SUBCASE("small counts: 1, 2 and 3 values") {
    worst = std::max({worst_error({5.0}), worst_error({5.0, 7.0}), worst_error({1e-6, 3.0, 1e6})});
  }
  MESSAGE("worst quantile relative error: ", worst);
  CHECK(worst <= 0.01);
}

TEST_CASE("window quantile zero and negative values read as 0") {
  std::vector<double> v(100, 0.0);
  for (int i = 0; i < 100; ++i) v.push_back(-1.0 * i);
  for (int i = 0; i < 50; ++i) v.push_back(2.0);
  core::FakeClock clock;
  auto spec = quantile_spec();
  spec.quantiles = {0.5, 0.9};
  auto w = window::make_window(spec);
  for (double x : v) w->add({.labels = kGet, .value = x}, clock.wall());
  std::vector<window::Point> points;
  w->read(clock.wall(), points);
  REQUIRE(points.size() == 2);
  CHECK(points[0].value == 0);
  CHECK(points[1].value == doctest::Approx(2.0).epsilon(0.01));
}

TEST_CASE("window quantile merges only the live buckets") {
  core::FakeClock clock;
  auto spec = quantile_spec();
  spec.quantiles = {0.5};
  auto w = window::make_window(spec);
  for (int i = 0; i < 1000; ++i) w->add({.labels = kGet, .value = 100}, clock.wall());
  clock.advance(30s);
  for (int i = 0; i < 999; ++i) w->add({.labels = kGet, .value = 1}, clock.wall());
  std::vector<window::Point> points;
  w->read(clock.wall(), points);
  CHECK(points.at(0).value == doctest::Approx(100).epsilon(0.01));
  clock.advance(30s);  // the 100s leave
  w->read(clock.wall(), points);
  CHECK(points.at(0).value == doctest::Approx(1).epsilon(0.01));
}

TEST_CASE("window quantile bins collapse the lowest beyond kMaxBins, keeping the top exact") {
  window::LogBins bins;
  std::vector<double> added{1e-200};  // far below: collapses into the lowest kept bin
  for (int i = 0; i < 99; ++i) added.push_back(1.0 + i);
  for (double v : added) bins.add(v);
  CHECK(bins.width() <= static_cast<uint32_t>(window::kMaxBins));
  window::QuantileMerger m;
  m.add(bins);
  CHECK(m.quantile(0) > 1e-200);  // reported too high: the documented cost of the bound
  CHECK(m.quantile(0) < 1.0);
  for (double q : {0.1, 0.5, 0.9, 1.0}) {
    CHECK(relative_error(m.quantile(q), exact_quantile(added, q)) <= 0.01);
  }
  // The same clamp holds when buckets of far-apart ranges merge.
  window::LogBins high;
  high.add(1e200);
  m.add(high);
  CHECK(relative_error(m.quantile(1), 1e200) <= 0.01);
}

TEST_CASE("window quantile a bucket stops allocating once its range is known") {
  window::LogBins bins;
  for (int i = 1; i <= 1000; ++i) bins.add(i * 0.001);
  auto bytes = bins.memory_bytes();
  for (int round = 0; round < 5; ++round) {
    bins.clear();
    for (int i = 1; i <= 1000; ++i) bins.add(i * 0.001);
  }
  CHECK(bins.memory_bytes() == bytes);
  MESSAGE("bins for 1e-3..1 (3 decades): ", bins.width(), " (", bytes, " bytes)");
}

TEST_CASE("window quantile bins round-trip sparse and dense, and stay so") {
  for (int values : {10, 1000}) {
    window::LogBins bins;
    for (int i = 1; i <= values; ++i) bins.add(i * 0.37);
    bins.add(0);
    CHECK(bins.dense() == (values > 48));
    std::string blob;
    window::BlobWriter w(blob);
    bins.write(w);
    window::LogBins back;
    window::BlobReader r(blob);
    REQUIRE(back.read(r));
    CHECK(r.at_end());
    CHECK(back.dense() == bins.dense());
    CHECK(back.total() == bins.total());
    CHECK(back.zeros() == 1);
    std::vector<std::pair<int32_t, uint32_t>> a, b;
    bins.for_each_bin([&](int32_t i, uint32_t n) { a.emplace_back(i, n); });
    back.for_each_bin([&](int32_t i, uint32_t n) { b.emplace_back(i, n); });
    CHECK(a == b);
  }
}
