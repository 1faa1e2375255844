#include "window/topk_window.h"

#include <algorithm>

#include "window/blob.h"

namespace logpulse::window {

TopkWindow::TopkWindow(const WindowSpec& spec)
    : Window(spec),
      capacity_(std::max<std::size_t>(
          1, std::min(spec.max_series,
                      spec.topk_capacity ? spec.topk_capacity
                                         : std::max<std::size_t>(32 * spec.k, 256)))) {
  map_.reserve(capacity_);
}

std::size_t TopkWindow::memory_bytes() const {
  std::size_t bytes = map_.bucket_count() * sizeof(void*) + ranked_.capacity() * sizeof(ranked_[0]);
  for (const auto& [key, e] : map_) {
    bytes += sizeof(std::pair<const std::string, Entry>) + 2 * sizeof(void*) + 8 +
             (key.capacity() > 15 ? key.capacity() + 1 : 0);
  }
  return bytes;
}

uint64_t TopkWindow::total_of(Entry& e, int64_t now_bucket) {
  if (e.total_at != now_bucket) {
    e.total = 0;
    e.ring.for_each_live(now_bucket, [&](int64_t, const Cell& c) { e.total += c.n; });
    e.total_at = now_bucket;
  }
  return e.total;
}

uint64_t TopkWindow::rank_of(Entry& e, int64_t now_bucket) {
  bool error_live = e.error_bucket > now_bucket - kBuckets;
  return total_of(e, now_bucket) + (error_live ? e.error : 0);
}

void TopkWindow::place(const Sample& sample, int64_t bucket) {
  const int64_t now = now_bucket();
  join_labels(sample.labels, scratch_);
  auto it = map_.find(std::string_view(scratch_));
  if (it == map_.end()) {
    uint64_t error = 0;
    if (map_.size() >= capacity_ && swept_at_ != now) {
      swept_at_ = now;
      expire(now);
    }
    if (map_.size() >= capacity_) {
      auto victim = map_.begin();
      uint64_t lowest = UINT64_MAX;
      for (auto j = map_.begin(); j != map_.end(); ++j) {
        uint64_t r = rank_of(j->second, now);
        if (r < lowest) lowest = r, victim = j;
      }
      error = lowest;
      ++evicted_;
      auto node = map_.extract(victim);
      node.key().assign(scratch_);
      node.mapped() = Entry{};
      it = map_.insert(std::move(node)).position;
    } else {
      it = map_.try_emplace(scratch_).first;
    }
    it->second.error = error;
    it->second.error_bucket = now;
  }
  Entry& e = it->second;
  ++e.ring.at(bucket).n;
  if (e.total_at == now) ++e.total;
}

void TopkWindow::expire(int64_t now_bucket) {
  std::erase_if(map_, [&](const auto& kv) { return kv.second.ring.expired(now_bucket); });
}

void TopkWindow::collect(int64_t now_bucket, std::vector<Point>& out) {
  ranked_.clear();
  for (auto& [key, e] : map_) {
    if (uint64_t n = total_of(e, now_bucket)) ranked_.emplace_back(n, key);
  }
  std::size_t k = std::min(spec().k, ranked_.size());
  auto heavier = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::partial_sort(ranked_.begin(), ranked_.begin() + static_cast<std::ptrdiff_t>(k),
                    ranked_.end(), heavier);
  for (std::size_t i = 0; i < k; ++i) {
    out.push_back({ranked_[i].second, 0, static_cast<double>(ranked_[i].first)});
  }
}

// Per entry: key, newest bucket, error, error bucket age, used cells as (age, count).
void TopkWindow::save_series(std::string& out) const {
  BlobWriter w(out);
  w.u64(map_.size());
  for (const auto& [key, e] : map_) {
    const int64_t newest = e.ring.newest();
    w.bytes(key);
    w.i64(newest);
    w.u64(e.error);
    w.i64(newest - e.error_bucket);
    uint64_t used = 0;
    e.ring.for_each_live(newest, [&](int64_t, const Cell& c) { used += c.n != 0; });
    w.u64(used);
    e.ring.for_each_live(newest, [&](int64_t b, const Cell& c) {
      if (c.n) w.i64(newest - b), w.u64(c.n);
    });
  }
}

bool TopkWindow::restore_series(std::string_view blob) {
  BlobReader r(blob);
  for (uint64_t n = r.count(); n > 0 && r.ok(); --n) {
    std::string_view key = r.bytes();
    int64_t newest = r.i64();
    Entry& e = map_.try_emplace(std::string(key)).first->second;
    e.error = r.u64();
    e.error_bucket = newest - r.i64();
    for (uint64_t cells = r.count(); cells > 0 && r.ok(); --cells) {
      int64_t age = r.i64();
      if (age < 0 || age >= kBuckets) return false;
      e.ring.at(newest);
      e.ring.at(newest - age).n = r.u64();
    }
  }
  return r.ok() && r.at_end();
}

}  // namespace logpulse::window
