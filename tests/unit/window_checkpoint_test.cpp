#include <doctest/doctest.h>

#include <random>

#include "window_support.h"

using namespace window_test;
using logpulse::window::Agg;

namespace {

std::vector<window::Point> read_all(window::Window& w, window::WallTime now,
                                    std::vector<std::string>& keys) {
  std::vector<window::Point> points;
  w.read(now, points);
  keys.clear();
  for (auto& p : points) keys.emplace_back(p.labels);
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) {
    return std::tie(keys[a], points[a].quantile) < std::tie(keys[b], points[b].quantile);
  });
  std::vector<window::Point> sorted;
  std::vector<std::string> sorted_keys;
  for (auto i : order) sorted.push_back(points[i]), sorted_keys.push_back(keys[i]);
  keys = sorted_keys;
  return sorted;
}

void check_same(window::Window& a, window::Window& b, window::WallTime now) {
  std::vector<std::string> ka, kb;
  auto pa = read_all(a, now, ka);
  auto pb = read_all(b, now, kb);
  REQUIRE(pa.size() == pb.size());
  CHECK(ka == kb);
  for (std::size_t i = 0; i < pa.size(); ++i) {
    CHECK(pa[i].quantile == pb[i].quantile);
    CHECK(pa[i].value == pb[i].value);
  }
}

}  // namespace

TEST_CASE("window checkpoint round trip for every aggregation, then both slide alike") {
  for (Agg agg : {Agg::kCount, Agg::kSum, Agg::kAvg, Agg::kMin, Agg::kMax, Agg::kRate,
                  Agg::kQuantile, Agg::kDistinct, Agg::kTopk}) {
    const std::string agg_text = window::agg_name(agg);
    CAPTURE(agg_text);
    core::FakeClock clock;
    auto spec = spec_of(agg, 5min);
    spec.quantiles = {0.5, 0.99};
    spec.k = 3;
    auto w = window::make_window(spec);
    std::mt19937_64 rng(11);
    std::lognormal_distribution<double> value(0, 2);
    const std::string_view methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD"};
    std::string key;
    for (int i = 0; i < 60'000; ++i) {
      std::string_view m = methods[rng() % 5];
      key = "client" + std::to_string(rng() % (i < 30'000 ? 100 : 5000));
      w->add({.labels = std::span(&m, 1), .value = value(rng), .key = key}, clock.wall());
      if (i % 300 == 0) clock.advance(1s);  // 200 s of a 300 s window; quantile buckets go dense
    }
    w->add({.labels = methods, .value = 1}, clock.wall() - 1h, clock.wall());  // one late
    std::string blob;
    w->save(blob);
    auto restored = window::make_window(spec);
    REQUIRE(restored->restore(blob));
    CHECK(restored->late_total() == 1);
    check_same(*w, *restored, clock.wall());
    clock.advance(150s);  // the first half of the traffic leaves both
    check_same(*w, *restored, clock.wall());
    std::string again;
    restored->save(again);
    auto twice = window::make_window(spec);
    REQUIRE(twice->restore(again));
    check_same(*w, *twice, clock.wall());
    if (agg == Agg::kQuantile || agg == Agg::kDistinct || agg == Agg::kCount) {
      MESSAGE(std::string(window::agg_name(agg)), ": checkpoint of ", w->series(), " label sets is ",
              blob.size(), " bytes");
    }
  }
}

TEST_CASE("window checkpoint refuses a corrupt blob or one of another spec, and stays empty") {
  core::FakeClock clock;
  auto spec = spec_of(Agg::kQuantile, 60s);
  spec.quantiles = {0.5};
  auto w = window::make_window(spec);
  std::string_view get = "GET";
  for (int i = 0; i < 100; ++i) w->add({.labels = std::span(&get, 1), .value = 1.0 + i}, clock.wall());
  std::string blob;
  w->save(blob);
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, blob.size() / 2, blob.size() - 1}) {
    auto r = window::make_window(spec);
    CHECK_FALSE(r->restore(std::string_view(blob).substr(0, cut)));
    CHECK(r->series() == 0);
  }
  auto other = window::make_window(spec_of(Agg::kQuantile, 120s));  // different bucket width
  CHECK_FALSE(other->restore(blob));
  auto count = window::make_window(spec_of(Agg::kCount, 60s));
  CHECK_FALSE(count->restore(blob));
  std::string bad_magic = blob;
  bad_magic[0] = 'X';
  CHECK_FALSE(window::make_window(spec)->restore(bad_magic));
  std::string trailing = blob + "x";
  CHECK_FALSE(window::make_window(spec)->restore(trailing));
}

TEST_CASE("window checkpoint restored after downtime keeps what is still inside the window") {
  core::FakeClock clock;
  auto w = window::make_window(spec_of(Agg::kCount, 5min));
  std::string_view get = "GET";
  for (int minute = 0; minute < 5; ++minute) {
    for (int i = 0; i <= minute; ++i) w->add({.labels = std::span(&get, 1)}, clock.wall());
    clock.advance(1min);
  }
  std::string blob;
  w->save(blob);  // 1+2+3+4+5 = 15 lines over the last 5 minutes
  clock.advance(90s);  // kill -9, 90 s down: minutes 0 and 1 have left
  auto restored = window::make_window(spec_of(Agg::kCount, 5min));
  REQUIRE(restored->restore(blob));
  CHECK(values(*restored, clock.wall())["GET"] == 3 + 4 + 5);
}
