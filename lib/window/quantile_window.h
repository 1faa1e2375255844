// QuantileWindow: the `quantile` aggregation, several quantiles of `of` per label set, each
// within 1% relative error of the exact value (rank floor(q * (n - 1)) of the window's
// values). Each label set holds a BucketRing of LogBins (log_bins.h), merged at read.
// Memory per label set: kBuckets LogBins of 72 bytes, plus per bucket 8 bytes per bin used
// while sparse (<= 48 bins), then 4 bytes per bin of the values' spread (116 bins per
// decade): ~28 KiB per decade spanned for a busy label set, at most kBuckets * kMaxBins * 4
// bytes = 600 KiB; a label set with a few values per bucket takes a few KiB.
// add() allocates only while a bucket's sparse list grows or its run widens, and a bucket
// keeps its memory when it is reused, so a steady label set stops allocating.
// Thread safety as Window.
#pragma once

#include "window/bucket_ring.h"
#include "window/log_bins.h"
#include "window/series_table.h"
#include "window/window.h"

namespace logpulse::window {

class QuantileWindow final : public Window {
 public:
  explicit QuantileWindow(const WindowSpec& spec);
  std::size_t series() const override { return table_.size(); }
  std::size_t memory_bytes() const override;

 private:
  struct Ring : BucketRing<LogBins> {
    bool expired(int64_t now_bucket) const { return BucketRing<LogBins>::expired(now_bucket); }
  };

  void place(const Sample& sample, int64_t bucket) override;
  void collect(int64_t now_bucket, std::vector<Point>& out) override;
  void expire(int64_t now_bucket) override { table_.expire(now_bucket); }
  void clear() override { table_.clear(); }
  void save_series(std::string& out) const override;
  bool restore_series(std::string_view blob) override;

  SeriesTable<Ring> table_;
  QuantileMerger merger_;
};

}  // namespace logpulse::window
