// Window microbenchmark: ns per add() for each aggregation, against a plain counter
// increment and a label-set lookup + increment measured in the same run. Built by hand:
//
//   g++ -std=c++20 -O2 -DNDEBUG -Ilib bench/window_bench.cpp lib/window/*.cpp -o /tmp/window_bench
//   /tmp/window_bench [records]
//
// Records cycle through 5 `by` label sets (methods) with lognormal values and 100,000
// distinct `of` keys (clients); topk is by client. Time advances 1 ms per record (a 1 min
// window rotates every second), so ring rotation is part of the cost.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "window/series_key.h"
#include "window/window.h"

using namespace logpulse;
using Steady = std::chrono::steady_clock;

namespace {

struct Input {
  std::vector<std::string_view> method;
  std::vector<double> value;
  std::vector<std::string> client;
  std::vector<uint32_t> zipf;  // a client index, Zipf over 840 like tests/workload's clients
};

double ns_per(Steady::time_point start, std::size_t n) {
  return std::chrono::duration<double, std::nano>(Steady::now() - start).count() / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  static const std::string_view kMethods[] = {"GET", "POST", "PUT", "DELETE", "HEAD"};
  Input in;
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> latency(-3, 1.5);
  for (std::size_t i = 0; i < n; ++i) {
    in.method.push_back(kMethods[rng() % 5]);
    in.value.push_back(latency(rng));
  }
  std::vector<double> weights;
  for (int i = 1; i <= 840; ++i) weights.push_back(1.0 / i);
  std::discrete_distribution<uint32_t> zipf(weights.begin(), weights.end());
  for (std::size_t i = 0; i < n; ++i) in.zipf.push_back(zipf(rng));
  for (int i = 0; i < 100'000; ++i) in.client.push_back("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  const auto t0 = window::WallTime(std::chrono::seconds(1767225600));

  // Baselines: a plain counter, and a label-set lookup + increment (what a rule metric pays).
  volatile uint64_t sink = 0;
  auto start = Steady::now();
  uint64_t counter = 0;
  for (std::size_t i = 0; i < n; ++i) counter += in.method[i].size() != 0;
  sink = counter;
  double plain = ns_per(start, n);
  std::unordered_map<std::string, uint64_t, window::KeyHash, std::equal_to<>> map;
  for (auto m : kMethods) map[std::string(m)] = 0;
  std::string scratch;
  start = Steady::now();
  for (std::size_t i = 0; i < n; ++i) {
    window::join_labels(std::span(&in.method[i], 1), scratch);
    ++map.find(std::string_view(scratch))->second;
  }
  sink = map.begin()->second;
  double lookup = ns_per(start, n);
  std::printf("records %zu\n%-10s %8.1f ns/update\n%-10s %8.1f ns/update\n", n, "counter++", plain,
              "lookup++", lookup);

  using window::Agg;
  for (Agg agg : {Agg::kCount, Agg::kRate, Agg::kSum, Agg::kAvg, Agg::kMin, Agg::kMax,
                  Agg::kQuantile, Agg::kDistinct, Agg::kTopk}) {
    window::WindowSpec spec;
    spec.name = "bench";
    spec.agg = agg;
    spec.over = std::chrono::minutes(1);
    spec.quantiles = {0.5, 0.9, 0.99};
    spec.k = 10;
    auto w = window::make_window(spec);
    start = Steady::now();
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& client = in.client[i % in.client.size()];
      std::string_view by = agg == Agg::kTopk ? std::string_view(client) : in.method[i];
      auto now = t0 + std::chrono::milliseconds(i);
      w->add({.labels = std::span(&by, 1), .value = in.value[i], .key = client}, now);
    }
    double per = ns_per(start, n);
    std::vector<window::Point> points;
    auto read_start = Steady::now();
    w->read(t0 + std::chrono::milliseconds(n), points);
    double read_us = std::chrono::duration<double, std::micro>(Steady::now() - read_start).count();
    std::printf("%-10s %8.1f ns/update  (%.1fx counter++)  read %.0f us, %zu series, %zu bytes\n",
                window::agg_name(agg), per, per / plain, read_us, w->series(), w->memory_bytes());
  }
  // topk as the workload would see it: clients drawn Zipf from 840, most records hit the table.
  window::WindowSpec spec;
  spec.name = "bench";
  spec.agg = Agg::kTopk;
  spec.over = std::chrono::minutes(1);
  auto w = window::make_window(spec);
  start = Steady::now();
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view by = in.client[in.zipf[i]];
    w->add({.labels = std::span(&by, 1)}, t0 + std::chrono::milliseconds(i));
  }
  std::printf("%-10s %8.1f ns/update  (Zipf over 840 clients)\n", "topk", ns_per(start, n));
  return static_cast<int>(sink & 0);
}
