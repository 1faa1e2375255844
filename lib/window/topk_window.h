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
// Memory: C * (kBuckets * 8 + ~120 bytes + key), independent of the number of label sets.
// add(): no allocation for a label set in the table; an eviction reuses the evicted entry and
// its index node. Counts + errors only grow between bucket boundaries, so the table is a
// min-heap on them (O(log C) per record), re-ranked in O(C * kBuckets) once per bucket.
// Thread safety as Window.
#pragma once

#include <memory>
#include <unordered_map>

#include "window/bucket_ring.h"
#include "window/series_key.h"
#include "window/window.h"

namespace logpulse::window {

class TopkWindow final : public Window {
 public:
  explicit TopkWindow(const WindowSpec& spec);
  std::size_t series() const override { return index_.size(); }
  std::size_t memory_bytes() const override;
  std::size_t capacity() const { return capacity_; }
  uint64_t evicted_total() const { return evicted_; }

 private:
  struct Cell {
    uint64_t n = 0;
    void clear() { n = 0; }
  };
  struct Entry {
    std::string key;
    BucketRing<Cell> ring;
    uint64_t total = 0;        // lines in the window as of ranked_at_ (plus those since)
    uint64_t error = 0;        // inherited at insertion; dropped once that bucket has left
    int64_t error_bucket = 0;  // bucket of insertion
    uint32_t heap_pos = 0;
    bool used = false;
  };

  // Recomputes totals and ranks for the present bucket, frees expired entries, rebuilds the
  // heap. Runs when the present bucket moves.
  void rerank(int64_t now_bucket);
  uint64_t rank(const Entry& e) const { return e.total + e.error; }
  uint32_t take_slot(int64_t now_bucket);
  void heap_push(uint32_t slot);
  void sift_down(uint32_t pos);
  void sift_up(uint32_t pos);
  void swap_heap(uint32_t a, uint32_t b);

  void place(const Sample& sample, int64_t bucket) override;
  void collect(int64_t now_bucket, std::vector<Point>& out) override;
  void expire(int64_t now_bucket) override { rerank(now_bucket); }
  void clear() override;
  void save_series(std::string& out) const override;
  bool restore_series(std::string_view blob) override;

  std::size_t capacity_;
  std::vector<std::unique_ptr<Entry>> entries_;  // stable: index_ keys view Entry::key
  std::unordered_map<std::string_view, uint32_t, KeyHash, std::equal_to<>> index_;
  std::vector<uint32_t> heap_;  // min-heap of used slots by rank()
  std::vector<uint32_t> free_;  // slots of expired entries
  std::string scratch_;
  int64_t ranked_at_ = INT64_MIN;
  uint64_t evicted_ = 0;
  std::vector<std::pair<uint64_t, std::string_view>> ranked_;
};

}  // namespace logpulse::window
