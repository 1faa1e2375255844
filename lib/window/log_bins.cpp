#include "window/log_bins.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace logpulse::window {
namespace {
const double kGamma = (1 + kRelativeAccuracy) / (1 - kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);
}  // namespace

int32_t LogBins::index(double v) {
  return static_cast<int32_t>(std::ceil(std::log(v) / kLogGamma));
}

double LogBins::value_of(int32_t index) {
  return 2 * std::exp(index * kLogGamma) / (kGamma + 1);
}

void LogBins::add(double v) {
  ++total_;
  if (!(v > 0)) {
    ++zeros_;
    return;
  }
  if (v == std::numeric_limits<double>::infinity()) v = std::numeric_limits<double>::max();
  int32_t i = index(v);
  if (dense_) return add_dense(i, 1);
  auto it = std::lower_bound(sparse_.begin(), sparse_.end(), i,
                             [](const auto& bin, int32_t x) { return bin.first < x; });
  if (it != sparse_.end() && it->first == i) {
    ++it->second;
  } else if (sparse_.size() < kSparseBins) {
    sparse_.insert(it, {i, 1});
  } else {
    make_dense();
    add_dense(i, 1);
  }
}

void LogBins::make_dense() {
  dense_ = true;
  used_ = 0;
  for (const auto& [bin, n] : sparse_) add_dense(bin, n);
  std::vector<std::pair<int32_t, uint32_t>>().swap(sparse_);
}

void LogBins::add_dense(int32_t i, uint32_t n) {
  grow_to(i);
  if (i < offset_) i = offset_;  // collapsed into the lowest kept bin
  counts_[static_cast<std::size_t>(i - offset_)] += n;
}

void LogBins::grow_to(int32_t i) {
  if (used_ == 0) {
    offset_ = i;
    used_ = 1;
    if (counts_.empty()) counts_.resize(8);
    return;
  }
  int32_t top = offset_ + static_cast<int32_t>(used_) - 1;
  int32_t lo = std::min(offset_, i);
  int32_t hi = std::max(top, i);
  if (hi - lo + 1 > kMaxBins) lo = hi - kMaxBins + 1;  // collapse the lowest
  if (lo == offset_ && hi == top) return;
  auto size = static_cast<std::size_t>(hi - lo + 1);
  if (lo > offset_) {
    // Fold the bins below lo into lo, then shift the run down.
    uint64_t folded = 0;
    auto drop = static_cast<std::size_t>(lo - offset_);
    for (std::size_t j = 0; j <= std::min<std::size_t>(drop, used_ - 1); ++j) folded += counts_[j];
    if (drop < used_) {
      std::move(counts_.begin() + static_cast<std::ptrdiff_t>(drop),
                counts_.begin() + used_, counts_.begin());
      counts_[0] = static_cast<uint32_t>(folded);
      std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(used_ - drop), counts_.end(), 0);
    } else {
      std::fill(counts_.begin(), counts_.end(), 0);
      counts_[0] = static_cast<uint32_t>(folded);
    }
    if (counts_.size() < size) counts_.resize(size, 0);
  } else if (lo < offset_) {
    auto shift = static_cast<std::size_t>(offset_ - lo);
    if (counts_.size() < size) counts_.resize(std::max(size, counts_.size() * 3 / 2), 0);
    std::move_backward(counts_.begin(), counts_.begin() + used_,
                       counts_.begin() + static_cast<std::ptrdiff_t>(used_ + shift));
    std::fill(counts_.begin(), counts_.begin() + static_cast<std::ptrdiff_t>(shift), 0);
  } else if (counts_.size() < size) {
    counts_.resize(std::max(size, counts_.size() * 3 / 2), 0);
  }
  offset_ = lo;
  used_ = static_cast<uint32_t>(size);
}

void LogBins::clear() {
  std::fill(counts_.begin(), counts_.begin() + used_, 0);
  used_ = 0;
  sparse_.clear();
  zeros_ = 0;
  total_ = 0;
}

// 0 (sparse) or 1 (dense), zeros, the number of bins used, then (bin delta, count) pairs:
// a dense run is written as its non-empty bins, so zeros inside it cost nothing.
void LogBins::write(BlobWriter& w) const {
  w.u64(dense_ ? 1 : 0);
  w.u64(zeros_);
  uint64_t bins = 0;
  for_each_bin([&](int32_t, uint32_t) { ++bins; });
  w.u64(bins);
  int32_t last = 0;
  for_each_bin([&](int32_t bin, uint32_t n) {
    w.i64(bin - last);
    w.u64(n);
    last = bin;
  });
}

bool LogBins::read(BlobReader& r) {
  clear();
  uint64_t kind = r.u64();
  zeros_ = r.u64();
  total_ = zeros_;
  uint64_t n = r.count();
  if (!r.ok() || kind > 1 || (kind == 0 && n > kSparseBins)) return false;
  if (kind == 1 && !dense_) {
    dense_ = true;
    std::vector<std::pair<int32_t, uint32_t>>().swap(sparse_);
  }
  int64_t bin = 0;
  int64_t last = INT64_MIN;
  for (uint64_t j = 0; j < n && r.ok(); ++j) {
    bin += r.i64();
    uint64_t count = r.u64();
    if (bin <= last || bin < INT32_MIN / 2 || bin > INT32_MAX / 2 || count == 0 ||
        count > UINT32_MAX) {
      return false;
    }
    last = bin;
    total_ += count;
    if (dense_) {
      add_dense(static_cast<int32_t>(bin), static_cast<uint32_t>(count));
    } else {
      sparse_.emplace_back(static_cast<int32_t>(bin), static_cast<uint32_t>(count));
    }
  }
  return r.ok();
}

void QuantileMerger::reset() {
  std::fill(counts_.begin(), counts_.begin() + static_cast<std::ptrdiff_t>(size_), 0);
  size_ = 0;
  zeros_ = 0;
  total_ = 0;
}

void QuantileMerger::add(const LogBins& bins) {
  zeros_ += bins.zeros();
  total_ += bins.total();
  if (bins.total() == bins.zeros()) return;
  int32_t lo = bins.lowest();
  int32_t hi = bins.highest();
  int32_t new_lo = size_ ? std::min(offset_, lo) : lo;
  int32_t new_hi = size_ ? std::max(offset_ + static_cast<int32_t>(size_) - 1, hi) : hi;
  if (new_hi - new_lo + 1 > kMaxBins) new_lo = new_hi - kMaxBins + 1;
  auto new_size = static_cast<std::size_t>(new_hi - new_lo + 1);
  if (size_ == 0) {
    offset_ = new_lo;
  } else if (new_lo != offset_) {
    // Re-base the run at new_lo (folding bins below a collapsed edge into it).
    std::vector<uint64_t> moved(std::max(new_size, counts_.size()), 0);
    for (std::size_t j = 0; j < size_; ++j) {
      int32_t i = std::max(new_lo, offset_ + static_cast<int32_t>(j));
      moved[static_cast<std::size_t>(i - new_lo)] += counts_[j];
    }
    counts_.swap(moved);
    offset_ = new_lo;
  }
  if (counts_.size() < new_size) counts_.resize(new_size, 0);
  size_ = new_size;
  bins.for_each_bin([&](int32_t bin, uint64_t n) {
    counts_[static_cast<std::size_t>(std::max(offset_, bin) - offset_)] += n;
  });
}

double QuantileMerger::quantile(double q) const {
  if (total_ == 0) return std::numeric_limits<double>::quiet_NaN();
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<uint64_t>(q * static_cast<double>(total_ - 1));
  if (rank < zeros_) return 0;
  uint64_t seen = zeros_;
  for (std::size_t j = 0; j < size_; ++j) {
    seen += counts_[j];
    if (seen > rank) return LogBins::value_of(offset_ + static_cast<int32_t>(j));
  }
  return LogBins::value_of(offset_ + static_cast<int32_t>(size_) - 1);
}

}  // namespace logpulse::window
