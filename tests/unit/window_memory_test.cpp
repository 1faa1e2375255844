#include <doctest/doctest.h>

#include <random>

#include "window_support.h"

using namespace window_test;
using logpulse::window::Agg;

// The README's per-label-set bounds: memory_bytes() over 1,000 label sets (7-byte keys) that
// each got lines in every bucket, so every cell is in use.
TEST_CASE("window memory per label set stays within the README bounds") {
  struct Bound {
    Agg agg;
    std::size_t max_bytes;
  };
  for (Bound b : {Bound{Agg::kCount, 600}, Bound{Agg::kRate, 600}, Bound{Agg::kSum, 1100},
                  Bound{Agg::kAvg, 1100}, Bound{Agg::kMin, 600}, Bound{Agg::kMax, 600},
                  Bound{Agg::kQuantile, 12 * 1024}, Bound{Agg::kDistinct, 1200},
                  Bound{Agg::kTopk, 700}}) {
    const std::string agg_text = window::agg_name(b.agg);
    CAPTURE(agg_text);
    core::FakeClock clock;
    auto spec = spec_of(b.agg, 60s);
    spec.quantiles = {0.5, 0.99};
    spec.topk_capacity = 1000;
    auto w = window::make_window(spec);
    std::mt19937_64 rng(5);
    std::lognormal_distribution<double> latency(-3, 1.5);  // ~1 ms .. 10 s
    std::string label, key;
    for (int second = 0; second < 60; ++second) {
      for (int series = 0; series < 1000; ++series) {
        label = std::to_string(1'000'000 + series);  // 7 bytes, stored inline
        std::string_view l = label;
        for (int j = 0; j < 5; ++j) {
          key = std::to_string(rng() % 20);
          w->add({.labels = std::span(&l, 1), .value = latency(rng), .key = key}, clock.wall());
        }
      }
      clock.advance(1s);
    }
    REQUIRE(w->series() == 1000);
    std::size_t per = w->memory_bytes() / 1000;
    MESSAGE(agg_text, ": ", per, " bytes per label set");
    CHECK(per <= b.max_bytes);
  }
}
