#include <doctest/doctest.h>

#include <random>

#include "window_support.h"

using namespace window_test;
using logpulse::window::Agg;
using logpulse::window::Sample;

namespace {
const std::string_view kGet[] = {"GET"};
const std::string_view kPost[] = {"POST"};
}  // namespace

TEST_CASE("window count, sum, avg, min, max, rate over one label set") {
  core::FakeClock clock;
  auto count = window::make_window(spec_of(Agg::kCount));
  auto sum = window::make_window(spec_of(Agg::kSum));
  auto avg = window::make_window(spec_of(Agg::kAvg));
  auto min = window::make_window(spec_of(Agg::kMin));
  auto max = window::make_window(spec_of(Agg::kMax));
  auto rate = window::make_window(spec_of(Agg::kRate));
  for (double v : {3.0, -1.5, 10.0, 0.5}) {
    for (auto* w : {count.get(), sum.get(), avg.get(), min.get(), max.get(), rate.get()}) {
      w->add({.labels = kGet, .value = v}, clock.wall());
    }
    clock.advance(7s);
  }
  CHECK(values(*count, clock.wall())["GET"] == 4);
  CHECK(values(*sum, clock.wall())["GET"] == 12);
  CHECK(values(*avg, clock.wall())["GET"] == 3);
  CHECK(values(*min, clock.wall())["GET"] == -1.5);
  CHECK(values(*max, clock.wall())["GET"] == 10);
  CHECK(values(*rate, clock.wall())["GET"] == doctest::Approx(4.0 / 60));
}

TEST_CASE("window ring rotation: each record leaves after `over`, to a bucket's width") {
  core::FakeClock clock;
  auto w = window::make_window(spec_of(Agg::kCount, 60s));  // 1 s buckets
  w->add({.labels = kGet}, clock.wall());
  clock.advance(30s);
  w->add({.labels = kGet}, clock.wall());
  w->add({.labels = kPost}, clock.wall());
  CHECK(values(*w, clock.wall())["GET"] == 2);
  clock.advance(29s);
  CHECK(values(*w, clock.wall())["GET"] == 2);
  clock.advance(1s);  // the first record is 60 s old: out of (now - 60 s, now]
  CHECK(values(*w, clock.wall())["GET"] == 1);
  CHECK(w->series() == 2);
  clock.advance(30s);
  CHECK(values(*w, clock.wall()).empty());
  CHECK(w->series() == 0);  // freed, not just hidden
}

TEST_CASE("window min and max combine per-bucket extremes as buckets expire") {
  core::FakeClock clock;
  auto min = window::make_window(spec_of(Agg::kMin, 60s));
  auto max = window::make_window(spec_of(Agg::kMax, 60s));
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  std::vector<std::pair<window::WallTime, double>> seen;
  for (int i = 0; i < 3000; ++i) {
    clock.advance(100ms);
    double v = dist(rng);
    seen.emplace_back(clock.wall(), v);
    min->add({.labels = kGet, .value = v}, clock.wall());
    max->add({.labels = kGet, .value = v}, clock.wall());
    if (i % 97 == 0) {
      // Exact over the live buckets: records whose bucket is after now_bucket - 60.
      double lo = INFINITY, hi = -INFINITY;
      for (auto& [t, x] : seen) {
        if (min->bucket_of(t) > min->bucket_of(clock.wall()) - window::kBuckets) {
          lo = std::min(lo, x), hi = std::max(hi, x);
        }
      }
      CHECK(values(*min, clock.wall())["GET"] == lo);
      CHECK(values(*max, clock.wall())["GET"] == hi);
    }
  }
}

TEST_CASE("window late records are counted and dropped; future ones land in the newest bucket") {
  core::FakeClock clock;
  auto w = window::make_window(spec_of(Agg::kCount, 60s));
  auto now = clock.wall();
  w->add({.labels = kGet}, now - 61s, now);  // older than the window
  w->add({.labels = kGet}, now - 60s, now);  // its bucket is the one just expired
  w->add({.labels = kGet}, now - 59s, now);  // inside
  w->add({.labels = kGet}, now + 1h, now);   // from the future: counted now
  CHECK(w->late_total() == 2);
  CHECK(values(*w, now)["GET"] == 2);
  clock.advance(2s);
  CHECK(values(*w, clock.wall())["GET"] == 1);  // the -59 s record left; the future one stays
  clock.advance(57s);
  CHECK(values(*w, clock.wall())["GET"] == 1);
  clock.advance(1s);
  CHECK(values(*w, clock.wall()).empty());
}

TEST_CASE("window event time places records in their own buckets") {
  core::FakeClock clock;
  auto w = window::make_window(spec_of(Agg::kSum, 60s));
  auto now = clock.wall();
  for (int age = 0; age < 60; ++age) {
    w->add({.labels = kGet, .value = static_cast<double>(age)}, now - std::chrono::seconds(age), now);
  }
  CHECK(values(*w, now)["GET"] == 59 * 60 / 2);
  clock.advance(10s);  // ages 50..59 leave
  CHECK(values(*w, clock.wall())["GET"] == 49 * 50 / 2);
}

TEST_CASE("window a wall clock stepped backwards stalls the window instead of emptying it") {
  core::FakeClock clock;
  auto w = window::make_window(spec_of(Agg::kCount, 60s));
  auto now = clock.wall();
  w->add({.labels = kGet}, now);
  w->add({.labels = kGet}, now - 1h);  // arrival time an hour back: still "now"
  CHECK(w->late_total() == 0);
  CHECK(values(*w, now - 1h)["GET"] == 2);
}

TEST_CASE("window max_series caps label sets; expired ones make room") {
  core::FakeClock clock;
  auto spec = spec_of(Agg::kCount, 60s);
  spec.max_series = 3;
  auto w = window::make_window(spec);
  for (std::string_view v : {"a", "b", "c", "d", "e"}) {
    w->add({.labels = std::span(&v, 1)}, clock.wall());
  }
  CHECK(w->series() == 3);
  CHECK(w->dropped_total() == 2);
  auto got = values(*w, clock.wall());
  CHECK(got.size() == 3);
  CHECK(got.count("d") == 0);
  clock.advance(61s);
  std::string_view d = "d";
  w->add({.labels = std::span(&d, 1)}, clock.wall());
  CHECK(w->dropped_total() == 2);
  CHECK(values(*w, clock.wall()) == std::map<std::string, double>{{"d", 1}});
}

TEST_CASE("window label sets are keyed by all `by` values; no `by` is one series") {
  core::FakeClock clock;
  auto w = window::make_window(spec_of(Agg::kCount));
  std::string_view a[] = {"GET", "200"}, b[] = {"GET", "500"};
  w->add({.labels = a}, clock.wall());
  w->add({.labels = b}, clock.wall());
  w->add({.labels = b}, clock.wall());
  auto got = values(*w, clock.wall());
  CHECK(got["GET\x1f" "200"] == 1);
  CHECK(got["GET\x1f" "500"] == 2);
  std::vector<std::string_view> split;
  window::split_labels("GET\x1f" "500", 2, split);
  CHECK(split == std::vector<std::string_view>{"GET", "500"});
  window::split_labels("", 0, split);
  CHECK(split.empty());

  auto all = window::make_window(spec_of(Agg::kCount));
  all->add({}, clock.wall());
  CHECK(values(*all, clock.wall()) == std::map<std::string, double>{{"", 1}});
}

TEST_CASE("window NaN values are counted as invalid and skipped") {
  core::FakeClock clock;
  auto w = window::make_window(spec_of(Agg::kSum));
  w->add({.labels = kGet, .value = std::nan("")}, clock.wall());
  w->add({.labels = kGet, .value = 2}, clock.wall());
  CHECK(w->invalid_total() == 1);
  CHECK(values(*w, clock.wall())["GET"] == 2);
}
