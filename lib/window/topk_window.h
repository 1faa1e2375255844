// TopkWindow: the `topk` aggregation, the k label sets with the most lines in the window,
// each with its count. Label sets live in a table of C = spec.topk_capacity entries
// (default max(32 k, 256), at most max_series), each an exact count ring (BucketRing of
// 8-byte cells) started when the label set entered the table. When a new label set finds
// the table full, the entry with the lowest count + inherited error is evicted and the new
// one inherits that as its error (Space-Saving, Metwally et al.), so a label set that
// arrives often enough climbs above the table's floor instead of being evicted again.
//
// Guarantees: while at most C label sets have lines in the window, every count is exact
// (expired entries are swept before anything is evicted). Beyond that, a reported count is
// the exact number of the label set's lines in the window since it (last) entered the table:
// exact when it has stayed in the table through the window, otherwise low by the lines it
// had when evicted, and an entry is evicted only while it has the table's lowest count +
// error. Space-Saving proves that floor is at most N / C for a stream that never expires;
// here an inherited error expires one window after it was inherited, so the floor follows
// the lines of the recent windows, not all time. A label set holding more than 1/k of the
// window's lines climbs above the floor within its first lines (C = 32 k) and stays exact;
// window_topk_test.cpp checks this with 10^6 distinct label sets, for a heavy label set
// present from the start and one that first appears once the table is full of others.
// Memory: C * (kBuckets * 8 + ~100 bytes + key), independent of the number of label sets.
// add(): no allocation for a label set in the table; an eviction reuses the evicted node
// (its key's buffer) and scans the table (O(C), counts cached per bucket).
// Thread safety as Window.
#pragma once

#include <unordered_map>

#include "window/bucket_ring.h"
#include "window/series_key.h"
#include "window/window.h"

namespace logpulse::window {

class TopkWindow final : public Window {
 public:
  explicit TopkWindow(const WindowSpec& spec);
  std::size_t series() const override { return map_.size(); }
  std::size_t memory_bytes() const override;
  std::size_t capacity() const { return capacity_; }
  uint64_t evicted_total() const { return evicted_; }

 private:
  struct Cell {
    uint64_t n = 0;
    void clear() { n = 0; }
  };
  struct Entry {
    BucketRing<Cell> ring;
    uint64_t error = 0;           // inherited at insertion; meaningless once that bucket left
    int64_t error_bucket = 0;     // bucket of insertion
    uint64_t total = 0;           // lines in the window as of total_at
    int64_t total_at = INT64_MIN;
  };

  uint64_t total_of(Entry& e, int64_t now_bucket);
  uint64_t rank_of(Entry& e, int64_t now_bucket);

  void place(const Sample& sample, int64_t bucket) override;
  void collect(int64_t now_bucket, std::vector<Point>& out) override;
  void expire(int64_t now_bucket) override;
  void clear() override { map_.clear(); }
  void save_series(std::string& out) const override;
  bool restore_series(std::string_view blob) override;

  std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> map_;
  std::string scratch_;
  std::size_t capacity_;
  uint64_t evicted_ = 0;
  int64_t swept_at_ = INT64_MIN;  // expired entries are swept at most once per bucket
  std::vector<std::pair<uint64_t, std::string_view>> ranked_;
};

}  // namespace logpulse::window
