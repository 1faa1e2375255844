// LogBins: the counts of one ring bucket of a quantile window, in logarithmic bins (the
// DDSketch idea): a value v > 0 goes to bin i = ceil(log_gamma(v)), gamma = (1+a)/(1-a), and
// any value of bin i is reported as 2 gamma^i / (gamma + 1), within relative error a of v.
// kRelativeAccuracy is 0.0099, so the quantile reported is within 1% of the exact one.
//
//   bins.add(0.25);
//   QuantileMerger m;  m.add(bins_a);  m.add(bins_b);  double p99 = m.quantile(0.99);
//
// A bucket starts sparse: a sorted list of (bin, count) pairs, 8 bytes per bin used, up to
// kSparseBins bins (a label set with a few values per bucket costs a few hundred bytes per
// bucket, not a run). Past that it turns into a dense run of 4-byte counts [offset, offset +
// width) grown to the spread of the values (memory follows the spread, not the number of
// values); a bucket keeps its memory when cleared, so a label set stops allocating once its
// range is known. A run holds at most kMaxBins bins (gamma^kMaxBins ~ 1e22, 22 decades):
// beyond that the lowest bins collapse into the lowest kept one, so values more than 22
// decades below the largest read as that lowest bin (too high); quantiles among the top 22
// decades keep the 1% bound. Values <= 0 (and -inf) are counted as 0 (log fields are
// durations and sizes). Not thread safe.
#pragma once

#include <cstdint>
#include <vector>

#include "window/blob.h"

namespace logpulse::window {

inline constexpr double kRelativeAccuracy = 0.0099;
inline constexpr int32_t kMaxBins = 2560;

class LogBins {
 public:
  static constexpr std::size_t kSparseBins = 48;

  void add(double v);
  void clear();
  uint64_t total() const { return total_; }
  uint64_t zeros() const { return zeros_; }
  bool dense() const { return dense_; }
  // The lowest and highest bin holding a count; only when total() > zeros().
  int32_t lowest() const { return dense_ ? offset_ : sparse_.front().first; }
  int32_t highest() const {
    return dense_ ? offset_ + static_cast<int32_t>(used_) - 1 : sparse_.back().first;
  }
  uint32_t width() const {
    return total_ == zeros_ ? 0 : static_cast<uint32_t>(highest() - lowest() + 1);
  }
  // Calls f(bin, count) for each bin holding a count, lowest first.
  template <class F>
  void for_each_bin(F&& f) const {
    if (!dense_) {
      for (const auto& [bin, n] : sparse_) f(bin, n);
      return;
    }
    for (uint32_t j = 0; j < used_; ++j) {
      if (counts_[j]) f(offset_ + static_cast<int32_t>(j), counts_[j]);
    }
  }
  std::size_t memory_bytes() const {
    return counts_.capacity() * sizeof(uint32_t) + sparse_.capacity() * sizeof(sparse_[0]);
  }

  void write(BlobWriter& w) const;
  bool read(BlobReader& r);

  static int32_t index(double v);
  static double value_of(int32_t index);

 private:
  void add_dense(int32_t index, uint32_t n);
  void grow_to(int32_t index);
  void make_dense();

  std::vector<std::pair<int32_t, uint32_t>> sparse_;  // sorted by bin, while !dense_
  std::vector<uint32_t> counts_;
  int32_t offset_ = 0;  // bin of counts_[0]
  uint32_t used_ = 0;   // counts_[0, used_) is the run (counts_ may be longer, kept from before)
  bool dense_ = false;
  uint64_t zeros_ = 0;
  uint64_t total_ = 0;
};
// Sums the bins of several buckets and answers quantiles over them. Reuse one to read
// every label set: its buffer keeps its size.
class QuantileMerger {
 public:
  void reset();
  void add(const LogBins& bins);
  // The value of rank floor(q * (n - 1)) (0-based) among the n values added; NaN when n is 0.
  double quantile(double q) const;
  uint64_t total() const { return total_; }

 private:
  std::vector<uint64_t> counts_;  // [0, size_) is the merged run
  std::size_t size_ = 0;
  int32_t offset_ = 0;
  uint64_t zeros_ = 0;
  uint64_t total_ = 0;
};

}  // namespace logpulse::window
