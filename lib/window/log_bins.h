// LogBins: the counts of one ring bucket of a quantile window, in logarithmic bins (the
// DDSketch idea): a value v > 0 goes to bin i = ceil(log_gamma(v)), gamma = (1+a)/(1-a), and
// any value of bin i is reported as 2 gamma^i / (gamma + 1), within relative error a of v.
// kRelativeAccuracy is 0.0099, so the quantile reported is within 1% of the exact one.
//
//   bins.add(0.25);
//   QuantileMerger m;  m.add(bins_a);  m.add(bins_b);  double p99 = m.quantile(0.99);
//
// Bins are a dense run [offset, offset + size) grown to the range seen (memory follows the
// spread of the values, not their number); a bucket keeps its memory when cleared, so a
// label set stops allocating once its range is known. A run holds at most kMaxBins bins
// (gamma^kMaxBins ~ 1e22, 22 decades): beyond that the lowest bins collapse into the lowest
// kept one, so values more than 22 decades below the largest read as that lowest bin (too
// high); quantiles among the top 22 decades keep the 1% bound. Values <= 0 (and -inf) are
// counted as 0 (log fields are durations and sizes). Not thread safe.
#pragma once

#include <cstdint>
#include <vector>

#include "window/blob.h"

namespace logpulse::window {

inline constexpr double kRelativeAccuracy = 0.0099;
inline constexpr int32_t kMaxBins = 2560;

class LogBins {
 public:
  void add(double v);
  void clear();
  uint64_t total() const { return total_; }
  uint64_t zeros() const { return zeros_; }
  int32_t offset() const { return offset_; }
  // counts()[j] is the count of bin offset() + j, for j < used().
  const std::vector<uint32_t>& counts() const { return counts_; }
  uint32_t used() const { return used_; }
  std::size_t memory_bytes() const { return counts_.capacity() * sizeof(uint32_t); }

  void write(BlobWriter& w) const;
  bool read(BlobReader& r);

  static int32_t index(double v);
  static double value_of(int32_t index);

 private:
  void grow_to(int32_t index);

  std::vector<uint32_t> counts_;
  int32_t offset_ = 0;  // bin index of counts_[0]
  uint32_t used_ = 0;   // counts_[0, used_) is the run (counts_ may be longer, kept from before)
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
