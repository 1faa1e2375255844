// BucketRing: kBuckets cells of one label set, indexed by absolute bucket number (time
// since the epoch divided by the bucket width), the building block of every window but
// `distinct`.
//
//   Cell& c = ring.at(bucket);                  // bucket > now_bucket - kBuckets
//   ring.for_each_live(now_bucket, [&](const Cell& c) { ... });
//
// Cells are cleared lazily: moving to a newer bucket resets the cells skipped over (at most
// kBuckets, amortized O(1) per bucket), so no timer walks every label set and no cell
// carries its own timestamp. A default-constructed Cell is the empty cell; Cell::clear()
// makes a cell empty again without giving back memory it owns. Not thread safe.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>

#include "window/window_spec.h"

namespace logpulse::window {

inline int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

inline std::size_t ring_slot(int64_t bucket) {
  int64_t r = bucket % kBuckets;
  return static_cast<std::size_t>(r < 0 ? r + kBuckets : r);
}

template <class Cell>
class BucketRing {
 public:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min() / 2;

  // The cell of `bucket`. Precondition: bucket > newest() - kBuckets.
  Cell& at(int64_t bucket) {
    if (bucket > newest_) {
      int64_t first = std::max(newest_ + 1, bucket - kBuckets + 1);
      for (int64_t b = first; b <= bucket; ++b) cells_[ring_slot(b)].clear();
      newest_ = bucket;
    }
    return cells_[ring_slot(bucket)];
  }

  // Calls f(cell) for each cell inside (now_bucket - kBuckets, now_bucket], oldest first.
  template <class F>
  void for_each_live(int64_t now_bucket, F&& f) const {
    int64_t last = std::min(newest_, now_bucket);
    for (int64_t b = std::max(newest_, now_bucket) - kBuckets + 1; b <= last; ++b) {
      f(b, cells_[ring_slot(b)]);
    }
  }

  bool expired(int64_t now_bucket) const { return newest_ <= now_bucket - kBuckets; }
  int64_t newest() const { return newest_; }
  // Restores the ring position (checkpoints); cells are then written with at().
  void reset() {
    newest_ = kNone;
    for (auto& c : cells_) c.clear();
  }

 private:
  int64_t newest_ = kNone;
  std::array<Cell, kBuckets> cells_{};
};

}  // namespace logpulse::window
