#include "window/sliding_hll.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>

#include "window/window_spec.h"

namespace logpulse::window {
namespace {

constexpr int kRankBits = 6;
constexpr uint32_t kRankMask = (1u << kRankBits) - 1;
constexpr uint32_t kBucketMask = (1u << (32 - kRankBits)) - 1;
constexpr int kMaxRank = 64 - SlidingHll::kPrecision + 1;

uint32_t pack(int64_t bucket, uint32_t rank) {
  return (static_cast<uint32_t>(bucket) & kBucketMask) << kRankBits | rank;
}
uint32_t rank_of(uint32_t slot) { return slot & kRankMask; }
// Buckets since the slot's bucket, as seen from now_bucket.
int64_t age_of(uint32_t slot, int64_t now_bucket) {
  return static_cast<int64_t>((static_cast<uint32_t>(now_bucket) - (slot >> kRankBits)) & kBucketMask);
}

std::size_t register_of(uint64_t hash) { return static_cast<std::size_t>(hash >> (64 - SlidingHll::kPrecision)); }
uint32_t rank_in(uint64_t hash) {
  uint64_t rest = hash << SlidingHll::kPrecision;
  return static_cast<uint32_t>(std::min(std::countl_zero(rest), kMaxRank - 1) + 1);
}

// Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017), section 4.
double sigma(double x) {
  if (x == 1) return std::numeric_limits<double>::infinity();
  double y = 1, z = x, before;
  do {
    x *= x;
    before = z;
    z += x * y;
    y += y;
  } while (z != before);
  return z;
}

double tau(double x) {
  if (x == 0 || x == 1) return 0;
  double y = 1, z = 1 - x, before;
  do {
    x = std::sqrt(x);
    before = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (z != before);
  return z / 3;
}

}  // namespace

uint64_t SlidingHll::hash_of(std::string_view value) {
  // std::hash spreads bytes well but is not specified to mix every bit; finish with
  // splitmix64's finalizer so register and rank bits are independent.
  uint64_t z = std::hash<std::string_view>{}(value);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool SlidingHll::expired(int64_t now_bucket) const { return newest_ <= now_bucket - kBuckets; }

void SlidingHll::add(uint64_t hash, int64_t bucket, int64_t now_bucket) {
  newest_ = std::max(newest_, bucket);
  if (dense_) return add_dense(hash, bucket, now_bucket);
  auto it = std::lower_bound(sparse_.begin(), sparse_.end(), hash,
                             [](const SparseEntry& e, uint64_t h) { return e.hash < h; });
  if (it != sparse_.end() && it->hash == hash) {
    it->bucket = std::max(it->bucket, bucket);
    return;
  }
  if (sparse_.size() < kSparseMax) {
    sparse_.insert(it, {hash, bucket});
    return;
  }
  prune_sparse(now_bucket);
  if (sparse_.size() < kSparseMax) return add(hash, bucket, now_bucket);
  make_dense(now_bucket);
  add_dense(hash, bucket, now_bucket);
}

void SlidingHll::add_dense(uint64_t hash, int64_t bucket, int64_t now_bucket) {
  uint32_t* slots = dense_.get() + register_of(hash) * kSlots;
  uint32_t rank = rank_in(hash);
  int64_t age = now_bucket - bucket;
  std::size_t free = kSlots;
  std::size_t lowest = kSlots;
  for (std::size_t i = 0; i < kSlots; ++i) {
    if (slots[i] == 0) {
      free = i;
      continue;
    }
    int64_t a = age_of(slots[i], now_bucket);
    uint32_t r = rank_of(slots[i]);
    if (a >= kBuckets || (a >= age && r <= rank)) {  // expired, or older and no higher
      slots[i] = 0;
      free = i;
    } else if (a <= age && r >= rank) {  // a newer or same pair at least as high: nothing new
      return;
    } else if (lowest == kSlots || r < rank_of(slots[lowest])) {
      lowest = i;
    }
  }
  slots[free != kSlots ? free : lowest] = pack(bucket, rank);
}

void SlidingHll::make_dense(int64_t now_bucket) {
  dense_ = std::make_unique<uint32_t[]>(kRegisters * kSlots);
  for (const auto& e : sparse_) add_dense(e.hash, e.bucket, now_bucket);
  std::vector<SparseEntry>().swap(sparse_);
}

void SlidingHll::prune_sparse(int64_t now_bucket) {
  std::erase_if(sparse_, [&](const SparseEntry& e) { return e.bucket <= now_bucket - kBuckets; });
}

double SlidingHll::estimate(int64_t now_bucket) {
  if (!dense_) {
    prune_sparse(now_bucket);
    return static_cast<double>(sparse_.size());
  }
  std::array<uint32_t, kMaxRank + 1> histogram{};
  for (std::size_t reg = 0; reg < kRegisters; ++reg) {
    uint32_t* slots = dense_.get() + reg * kSlots;
    uint32_t value = 0;
    for (std::size_t i = 0; i < kSlots; ++i) {
      if (slots[i] == 0) continue;
      if (age_of(slots[i], now_bucket) >= kBuckets) {
        slots[i] = 0;
      } else {
        value = std::max(value, rank_of(slots[i]));
      }
    }
    ++histogram[value];
  }
  const double m = static_cast<double>(kRegisters);
  const int q = 64 - kPrecision;
  double z = m * tau(1 - histogram[q + 1] / m);
  for (int k = q; k >= 1; --k) z = 0.5 * (z + histogram[static_cast<std::size_t>(k)]);
  z += m * sigma(histogram[0] / m);
  return 0.5 / std::log(2.0) * m * m / z;
}

std::size_t SlidingHll::memory_bytes() const {
  return sizeof(*this) + sparse_.capacity() * sizeof(SparseEntry) +
         (dense_ ? kRegisters * kSlots * sizeof(uint32_t) : 0);
}

// Sparse: 0, count, (hash, age) pairs. Dense: 1, then (slot index delta, age, rank) for each
// used slot. Ages are relative to newest_ so the blob is independent of the bucket width.
void SlidingHll::write(BlobWriter& w) const {
  w.i64(newest_);
  if (!dense_) {
    w.u64(0);
    w.u64(sparse_.size());
    for (const auto& e : sparse_) w.u64(e.hash), w.i64(newest_ - e.bucket);
    return;
  }
  w.u64(1);
  uint64_t used = 0;
  for (std::size_t i = 0; i < kRegisters * kSlots; ++i) used += dense_[i] != 0;
  w.u64(used);
  std::size_t last = 0;
  for (std::size_t i = 0; i < kRegisters * kSlots; ++i) {
    if (dense_[i] == 0) continue;
    w.u64(i - last);
    last = i;
    w.i64(age_of(dense_[i], newest_));
    w.u64(rank_of(dense_[i]));
  }
}

bool SlidingHll::read(BlobReader& r) {
  newest_ = r.i64();
  uint64_t kind = r.u64();
  uint64_t n = r.count();
  sparse_.clear();
  dense_.reset();
  if (!r.ok()) return false;
  if (kind == 0) {
    if (n > kSparseMax) return false;
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      uint64_t hash = r.u64();
      int64_t age = r.i64();
      if (!sparse_.empty() && hash <= sparse_.back().hash) return false;
      sparse_.push_back({hash, newest_ - age});
    }
    return r.ok();
  }
  if (kind != 1) return false;
  dense_ = std::make_unique<uint32_t[]>(kRegisters * kSlots);
  std::size_t at = 0;
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    at += r.u64();
    int64_t age = r.i64();
    uint64_t rank = r.u64();
    if (at >= kRegisters * kSlots || rank == 0 || rank > kMaxRank || age < 0) return false;
    dense_[at] = pack(newest_ - age, static_cast<uint32_t>(rank));
  }
  return r.ok();
}

}  // namespace logpulse::window
