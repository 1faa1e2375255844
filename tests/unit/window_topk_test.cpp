#include <doctest/doctest.h>

#include <charconv>
#include <random>

#include "window/topk_window.h"
#include "window_support.h"

using namespace window_test;
using logpulse::window::Agg;

namespace {

window::WindowSpec topk_spec(std::size_t k) {
  auto s = spec_of(Agg::kTopk, 60s);
  s.k = k;
  return s;
}

struct Feeder {
  core::FakeClock clock;
  std::unique_ptr<window::Window> w;
  std::map<std::string, double> exact;  // all records stay inside the window
  char buf[32];
  void add(std::string_view label) {
    w->add({.labels = std::span(&label, 1)}, clock.wall());
    exact[std::string(label)] += 1;
  }
  void add_number(uint64_t n) {
    buf[0] = 'n';
    auto r = std::to_chars(buf + 1, buf + sizeof buf, n);
    std::string_view label(buf, static_cast<std::size_t>(r.ptr - buf));
    w->add({.labels = std::span(&label, 1)}, clock.wall());
  }
  // The exact top k: heaviest first, ties by label.
  std::vector<std::pair<std::string, double>> exact_top(std::size_t k) const {
    std::vector<std::pair<std::string, double>> v(exact.begin(), exact.end());
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    v.resize(std::min(k, v.size()));
    return v;
  }
  std::vector<std::pair<std::string, double>> read() {
    std::vector<window::Point> points;
    w->read(clock.wall(), points);
    std::vector<std::pair<std::string, double>> v;
    for (auto& p : points) v.emplace_back(std::string(p.labels), p.value);
    return v;
  }
};

}  // namespace

TEST_CASE("window topk is exact while the label sets fit the table (Zipf)") {
  Feeder f{.w = window::make_window(topk_spec(10))};
  std::mt19937_64 rng(3);
  std::vector<double> weights;
  for (int i = 1; i <= 200; ++i) weights.push_back(1.0 / i);
  std::discrete_distribution<int> zipf(weights.begin(), weights.end());
  for (int i = 0; i < 100'000; ++i) {
    f.add("client" + std::to_string(zipf(rng)));
    if (i % 1000 == 0) f.clock.advance(500ms);
  }
  CHECK(f.read() == f.exact_top(10));
}

TEST_CASE("window topk k+1 equal label sets: k of them, each exact") {
  Feeder f{.w = window::make_window(topk_spec(10))};
  for (int round = 0; round < 500; ++round) {
    for (int key = 0; key < 11; ++key) f.add("key" + std::to_string(key));
  }
  auto got = f.read();
  REQUIRE(got.size() == 10);
  for (auto& [label, n] : got) CHECK(n == 500);
  CHECK(got == f.exact_top(10));  // ties broken by label: key9 is the one left out
}

TEST_CASE("window topk a label set just over 1/k among 10^6 distinct ones is exact") {
  const std::size_t k = 10;
  Feeder f{.w = window::make_window(topk_spec(k))};
  // 10^6 singletons; "heavy" every 8th line: 1/8 > 1/10 of the window's lines. Two heavy
  // label sets, one from the start, one that first appears once the table is full of noise.
  uint64_t lines = 0, heavy = 0, late_heavy = 0;
  for (uint64_t i = 0; i < 1'000'000; ++i) {
    f.add_number(i);
    ++lines;
    if (i % 7 == 0) {
      std::string_view h = "heavy";
      f.w->add({.labels = std::span(&h, 1)}, f.clock.wall());
      ++heavy, ++lines;
    }
    if (i >= 100'000 && i % 6 == 0) {
      std::string_view h = "late-heavy";
      f.w->add({.labels = std::span(&h, 1)}, f.clock.wall());
      ++late_heavy, ++lines;
    }
    if (i % 20'000 == 0) f.clock.advance(1s);  // 50 s: everything stays in the window
  }
  CHECK(static_cast<double>(heavy) > static_cast<double>(lines) / k);
  CHECK(static_cast<double>(late_heavy) > static_cast<double>(lines) / k);
  auto got = f.read();
  REQUIRE(got.size() == k);
  CHECK(got[0].first == "late-heavy");
  CHECK(got[0].second == static_cast<double>(late_heavy));
  CHECK(got[1].first == "heavy");
  CHECK(got[1].second == static_cast<double>(heavy));
  auto* topk = dynamic_cast<window::TopkWindow*>(f.w.get());
  CHECK(f.w->series() == topk->capacity());
  MESSAGE("topk table of ", topk->capacity(), " entries: ", f.w->memory_bytes(),
          " bytes after 10^6 distinct label sets, evictions ", topk->evicted_total());
}

TEST_CASE("window topk counts slide out of the window") {
  Feeder f{.w = window::make_window(topk_spec(2))};
  for (int i = 0; i < 30; ++i) f.add("a");
  f.clock.advance(30s);
  for (int i = 0; i < 20; ++i) f.add("b");
  for (int i = 0; i < 10; ++i) f.add("c");
  using Top = std::vector<std::pair<std::string, double>>;
  CHECK(f.read() == Top{{"a", 30}, {"b", 20}});
  f.clock.advance(30s);
  CHECK(f.read() == Top{{"b", 20}, {"c", 10}});
  f.clock.advance(30s);
  CHECK(f.read().empty());
  CHECK(f.w->series() == 0);
}

TEST_CASE("window topk exact across rotation with late event-time records") {
  core::FakeClock clock;
  auto w = window::make_window(topk_spec(3));
  std::string_view a = "a", b = "b";
  auto now = clock.wall();
  w->add({.labels = std::span(&a, 1)}, now - 10s, now);
  w->add({.labels = std::span(&a, 1)}, now - 70s, now);  // late
  w->add({.labels = std::span(&b, 1)}, now, now);
  CHECK(w->late_total() == 1);
  CHECK(values(*w, now) == std::map<std::string, double>{{"a", 1}, {"b", 1}});
  CHECK(values(*w, now + 50s) == std::map<std::string, double>{{"b", 1}});
}

TEST_CASE("window topk stays exact over many windows of label sets seen once") {
  // 30 windows of 10,000 lines each: 7 in 8 from label sets never seen again, 1 in 8 from
  // "heavy". A table of 64 entries: the eviction floor must follow the window, not grow with
  // every line since the start, or "heavy" would sink to it and lose its count.
  auto spec = topk_spec(2);
  spec.topk_capacity = 64;
  Feeder f{.w = window::make_window(spec)};
  std::string_view heavy = "heavy";
  uint64_t noise = 0;
  for (int second = 0; second < 30 * 60; ++second) {
    for (int i = 0; i < 166; ++i) {
      if (i % 8 == 0) {
        f.w->add({.labels = std::span(&heavy, 1)}, f.clock.wall());
      } else {
        f.add_number(noise++);
      }
    }
    if (second + 1 < 30 * 60) f.clock.advance(1s);
  }
  auto got = f.read();
  REQUIRE(!got.empty());
  CHECK(got[0].first == "heavy");
  CHECK(got[0].second == 60 * 21);  // 21 of each second's 166 lines, over the last 60 s
}
