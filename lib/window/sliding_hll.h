// SlidingHll: the approximate number of distinct values added in the last kBuckets buckets
// of one label set (the `distinct` aggregation): a HyperLogLog over the whole window whose
// registers remember, instead of one maximum, a short list of (bucket, rank) pairs where a
// newer pair has a lower rank ("sliding HyperLogLog", Chabchoub & Hebrail). A register's
// value at time t is the highest rank among its pairs still inside the window, so expiring
// a bucket costs nothing and the sketch is not repeated per ring bucket.
//
//   hll.add(hash_of(value), bucket, now_bucket);   double n = hll.estimate(now_bucket);
//
// Accuracy: 2^14 registers, relative standard error 1.04 / 128 = 0.81%, so 2% is 2.5 sigma
// (about 1 estimate in 80 is off by more);
// the estimator is Ertl's (2017) improved raw estimator, unbiased from 0 to 2^50 without bias
// tables. Up to kSparseMax distinct values the sketch is exact instead: a sorted list of
// 64-bit hashes with their newest bucket (16 bytes each).
// Memory: sparse, 16 bytes per distinct value in the window (<= 16 KiB); dense, fixed
// 2^14 registers * kSlots * 4 bytes = 256 KiB. A register keeps at most kSlots pairs; when a
// fifth is needed the lowest-ranked one goes, which can only lower that register for a
// while after its higher pairs expire (a small underestimate while the window drains).
// Bucket numbers are kept modulo 2^26; estimate() forgets expired pairs, so that wraps only
// for a label set neither read nor touched for 2^26 buckets (2 years of 1 s buckets).
// add() allocates only while the sparse list grows and once when it turns dense.
// Not thread safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "window/blob.h"

namespace logpulse::window {

class SlidingHll {
 public:
  static constexpr int kPrecision = 14;
  static constexpr std::size_t kRegisters = std::size_t{1} << kPrecision;
  static constexpr std::size_t kSlots = 4;
  static constexpr std::size_t kSparseMax = 1024;

  static uint64_t hash_of(std::string_view value);

  // Precondition: now_bucket - kBuckets < bucket <= now_bucket.
  void add(uint64_t hash, int64_t bucket, int64_t now_bucket);
  // Also forgets the pairs that have left the window.
  double estimate(int64_t now_bucket);
  bool expired(int64_t now_bucket) const;
  bool dense() const { return dense_ != nullptr; }
  std::size_t memory_bytes() const;

  void write(BlobWriter& w) const;
  bool read(BlobReader& r);

 private:
  struct SparseEntry {
    uint64_t hash;
    int64_t bucket;
  };
  void make_dense(int64_t now_bucket);
  void add_dense(uint64_t hash, int64_t bucket, int64_t now_bucket);
  void prune_sparse(int64_t now_bucket);

  int64_t newest_ = INT64_MIN / 2;
  std::vector<SparseEntry> sparse_;  // sorted by hash
  // kRegisters * kSlots pairs, (bucket mod 2^26) << 6 | rank; 0 is an empty slot.
  std::unique_ptr<uint32_t[]> dense_;
};

}  // namespace logpulse::window
