// WindowSpec: what one sliding window computes, already compiled from the configuration
// (the `windows:` entries of SPEC.md). A plain value; copy it freely.
//
//   WindowSpec spec{.name = "latency_5m", .agg = Agg::kQuantile, .over = 5min,
//                   .quantiles = {0.5, 0.99}};
//
// Every window is a ring of kBuckets buckets of over / kBuckets each, so its trailing edge
// is exact to 1/kBuckets of `over`.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace logpulse::window {

enum class Agg { kCount, kSum, kAvg, kMin, kMax, kRate, kQuantile, kDistinct, kTopk };

inline constexpr int kBuckets = 60;

struct WindowSpec {
  std::string name;
  Agg agg = Agg::kCount;
  std::chrono::nanoseconds over = std::chrono::minutes(1);
  std::vector<double> quantiles;   // kQuantile: each in [0, 1]
  std::size_t k = 10;              // kTopk: label sets exported
  std::size_t max_series = 10000;  // label sets held; more are dropped and counted
  // kTopk: entries of its Space-Saving table (0: max(32 * k, 1024), capped by max_series).
  std::size_t topk_capacity = 0;
};

const char* agg_name(Agg agg);

}  // namespace logpulse::window
