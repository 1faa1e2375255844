// DistinctWindow: the `distinct` aggregation, the approximate number of distinct `of`
// values (Sample::key) per label set in the window, one SlidingHll (sliding_hll.h) per label
// set: exact up to 1024 distinct values, then within 2% (2.5 standard errors). Memory per
// label set: <= 16 KiB while sparse, 256 KiB once dense. Thread safety as Window.
#pragma once

#include "window/series_table.h"
#include "window/sliding_hll.h"
#include "window/window.h"

namespace logpulse::window {

class DistinctWindow final : public Window {
 public:
  explicit DistinctWindow(const WindowSpec& spec) : Window(spec), table_(spec.max_series) {}
  std::size_t series() const override { return table_.size(); }
  std::size_t memory_bytes() const override;

 private:
  void place(const Sample& sample, int64_t bucket) override;
  void collect(int64_t now_bucket, std::vector<Point>& out) override;
  void expire(int64_t now_bucket) override { table_.expire(now_bucket); }
  void clear() override { table_.clear(); }
  void save_series(std::string& out) const override;
  bool restore_series(std::string_view blob) override;

  SeriesTable<SlidingHll> table_;
};

}  // namespace logpulse::window
