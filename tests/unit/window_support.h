// Helpers shared by the window tests: a FakeClock-driven feeder and exact reference values.
#pragma once

// GCC before 14 warns when a designated initializer leaves out members that have default
// initializers ({.labels = x} for a Sample); the tests rely on those defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "window/series_key.h"
#include "window/window.h"

namespace window_test {

using namespace logpulse;
using namespace std::chrono_literals;

inline window::WindowSpec spec_of(window::Agg agg, std::chrono::nanoseconds over = 60s) {
  return window::WindowSpec{.name = std::string("w"), .agg = agg, .over = over};
}

// Reads a window into label-key -> value (for non-quantile windows).
inline std::map<std::string, double> values(window::Window& w, window::WallTime now) {
  std::vector<window::Point> points;
  w.read(now, points);
  std::map<std::string, double> out;
  for (const auto& p : points) out[std::string(p.labels)] = p.value;
  return out;
}

// The exact quantile the sketches are held to: rank floor(q * (n - 1)) of the sorted values.
inline double exact_quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  return v[rank];
}

inline double relative_error(double got, double want) {
  if (want == 0) return got == 0 ? 0 : 1;
  return std::abs(got - want) / std::abs(want);
}

}  // namespace window_test
