#include <doctest/doctest.h>

#include <charconv>
#include <random>
#include <unordered_map>

#include "window/sliding_hll.h"
#include "window_support.h"

using namespace window_test;
using logpulse::window::Agg;

namespace {

struct KeyText {
  char buf[32];
  std::string_view of(uint64_t n) {
    buf[0] = 'k';
    auto r = std::to_chars(buf + 1, buf + sizeof buf, n);
    return {buf, static_cast<std::size_t>(r.ptr - buf)};
  }
};

double distinct_of(window::Window& w, window::WallTime now) {
  auto got = values(w, now);
  return got.empty() ? 0 : got.begin()->second;
}

}  // namespace

TEST_CASE("window distinct is exact while small, within 2% up to 10^6 keys") {
  double worst = 0;
  for (uint64_t n : {1ull, 10ull, 1000ull, 1024ull, 1025ull, 3000ull, 20'000ull, 100'000ull,
                     1'000'000ull}) {
    for (uint64_t seed : {1ull, 2ull}) {
      core::FakeClock clock;
      auto w = window::make_window(spec_of(Agg::kDistinct, 60s));
      KeyText key;
      std::mt19937_64 rng(seed);
      uint64_t base = rng();
      for (uint64_t i = 0; i < n; ++i) {
        // Each key twice, in different buckets: repeats must not count.
        w->add({.key = key.of(base + i)}, clock.wall() - std::chrono::milliseconds(i % 59'000),
               clock.wall());
        w->add({.key = key.of(base + i)}, clock.wall());
      }
      double got = distinct_of(*w, clock.wall());
      double err = relative_error(got, static_cast<double>(n));
      if (n <= window::SlidingHll::kSparseMax) {
        CHECK(got == static_cast<double>(n));
      }
      CHECK_MESSAGE(err <= 0.02, "n=", n, " got ", got);
      worst = std::max(worst, err);
    }
  }
  MESSAGE("worst distinct relative error: ", worst);
}

TEST_CASE("window distinct slides: keys leave with their last bucket") {
  core::FakeClock clock;
  auto w = window::make_window(spec_of(Agg::kDistinct, 60s));
  KeyText key;
  // 120 s of traffic, one second per bucket: second s brings keys [s*500, s*500 + 2000), so
  // each key is seen over 4 consecutive seconds.
  std::unordered_map<uint64_t, int> last_seen;
  double worst = 0;
  for (int s = 0; s < 120; ++s) {
    for (uint64_t k = s * 500ull; k < s * 500ull + 2000; ++k) {
      w->add({.key = key.of(k)}, clock.wall());
      last_seen[k] = s;
    }
    if (s % 10 == 9) {
      std::size_t live = 0;
      for (auto& [k, t] : last_seen) live += t > s - 60;
      double err = relative_error(distinct_of(*w, clock.wall()), static_cast<double>(live));
      CHECK_MESSAGE(err <= 0.02, "second ", s, " live ", live);
      worst = std::max(worst, err);
    }
    clock.advance(1s);
  }
  MESSAGE("worst sliding distinct relative error: ", worst);
  clock.advance(60s);
  CHECK(values(*w, clock.wall()).empty());
  CHECK(w->series() == 0);
}

TEST_CASE("window distinct per label set, and a label set's memory bound") {
  core::FakeClock clock;
  auto w = window::make_window(spec_of(Agg::kDistinct, 60s));
  KeyText key;
  std::string_view small[] = {"small"}, big[] = {"big"};
  for (uint64_t i = 0; i < 50; ++i) w->add({.labels = small, .key = key.of(i % 7)}, clock.wall());
  auto before = w->memory_bytes();
  for (uint64_t i = 0; i < 200'000; ++i) w->add({.labels = big, .key = key.of(i)}, clock.wall());
  auto got = values(*w, clock.wall());
  CHECK(got["small"] == 7);
  CHECK(relative_error(got["big"], 200'000) <= 0.02);
  auto dense = w->memory_bytes() - before;
  CHECK(dense <= 260 * 1024);
  MESSAGE("distinct memory: small label set ", before, " bytes, dense label set ", dense);
}
