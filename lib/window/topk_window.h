// TopkWindow: the `topk` aggregation, the k label sets with the most lines in the window,
// each with its count. Label sets live in a table of C = spec.topk_capacity entries
// (default max(32 k, 1024), at most max_series), each an exact count ring (BucketRing of
// 8-byte cells) started when the label set entered the table. When a new label set finds
// the table full, the entry with the lowest count + error is evicted and the new one takes
// the evicted count as its error (after Space-Saving, Metwally et al.), so a label set that
// arrives often enough climbs above the table's floor instead of being evicted again.
//
// Guarantees: while at most C label sets have lines in the window, every count is exact
// (expired entries are swept before anything is evicted). Beyond that, a reported count is
// the exact number of the label set's lines in the window since it (last) entered the table.
// The newcomer inherits the evicted entry's count (not its rank), so each line adds 1 to
// the table's sum of count + error once, and an error expires one window after it was
// inherited: the sum is at most N2 = the lines of the last two windows, and the eviction
// floor (the lowest count + error) at most N2 / C. A label set whose count in the window is
// above N2 / C is therefore never evicted: with C = 32 k and a steady rate, one holding more
// than 1/16 of 1/k of the window's lines keeps its entry, so a label set holding more than
// 1/k of the lines throughout the window is reported with its exact count. Among equal
// ranks the oldest entry is evicted, so a newcomer gets the time to reach its second line.
// Memory: C * (kBuckets * 8 + ~120 bytes + key), independent of the number of label sets.
// add(): no allocation for a label set in the table; an eviction reuses the evicted entry and
// its index node. Counts + errors only grow between bucket boundaries, so the table is a
// lazy min-heap: a record on a label set in the table only increments its count (O(1)); an
// eviction first re-sifts the root until its stored rank is current (each increment causes
// at most one such sift), and the heap is rebuilt in O(C * kBuckets) at most once per bucket,
// only when an eviction or a read needs it (a table that has room never re-ranks on add()).
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
    uint64_t error = 0;        // the evicted entry's count; dropped once a window has passed
    int64_t error_bucket = 0;  // bucket of insertion
    uint64_t sequence = 0;     // insertion order: among equal ranks the oldest goes first
    bool used = false;
  };

  // Recomputes totals and ranks for the present bucket, frees expired entries, rebuilds the
  // heap. Runs at most once per bucket: before an eviction, and at read() / sweep().
  void rerank(int64_t now_bucket);
  uint64_t rank(const Entry& e) const { return e.total + e.error; }
  struct HeapItem {
    uint64_t rank;      // rank() when stored: never above the entry's current rank
    uint64_t sequence;  // Entry::sequence
    uint32_t slot;
  };
  static bool lower(const HeapItem& a, const HeapItem& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.sequence < b.sequence;
  }
  HeapItem item(uint32_t slot) const { return {rank(*entries_[slot]), entries_[slot]->sequence, slot}; }
  uint32_t take_slot(int64_t now_bucket);
  void heap_push(uint32_t slot);
  void sift_down(uint32_t pos);
  void sift_up(uint32_t pos);

  void place(const Sample& sample, int64_t bucket) override;
  void collect(int64_t now_bucket, std::vector<Point>& out) override;
  void expire(int64_t now_bucket) override { rerank(now_bucket); }
  void clear() override;
  void save_series(std::string& out) const override;
  bool restore_series(std::string_view blob) override;

  std::size_t capacity_;
  std::vector<std::unique_ptr<Entry>> entries_;  // stable: index_ keys view Entry::key
  std::unordered_map<std::string_view, uint32_t, KeyHash, std::equal_to<>> index_;
  std::vector<HeapItem> heap_;  // min-heap of the used slots
  std::vector<uint32_t> free_;  // slots of expired entries
  std::string scratch_;
  int64_t ranked_at_ = INT64_MIN;
  uint64_t evicted_ = 0;
  uint64_t sequence_ = 0;
  std::vector<std::pair<uint64_t, std::string_view>> ranked_;
};

}  // namespace logpulse::window
