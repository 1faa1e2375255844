#include "window/topk_window.h"

#include <algorithm>

#include "window/blob.h"

namespace logpulse::window {

TopkWindow::TopkWindow(const WindowSpec& spec)
    : Window(spec),
      capacity_(std::max<std::size_t>(
          1, std::min(spec.max_series,
                      spec.topk_capacity ? spec.topk_capacity
                                         : std::max<std::size_t>(32 * spec.k, 1024)))) {}

std::size_t TopkWindow::memory_bytes() const {
  std::size_t bytes = index_.bucket_count() * sizeof(void*) +
                      index_.size() * (sizeof(std::pair<std::string_view, uint32_t>) + 16) +
                      heap_.capacity() * sizeof(HeapItem) + free_.capacity() * sizeof(uint32_t) +
                      entries_.capacity() * sizeof(entries_[0]) +
                      ranked_.capacity() * sizeof(ranked_[0]);
  for (const auto& e : entries_) {
    bytes += sizeof(Entry) + 16 + (e->key.capacity() > 15 ? e->key.capacity() + 1 : 0);
  }
  return bytes;
}

void TopkWindow::sift_up(uint32_t pos) {
  while (pos > 0) {
    uint32_t parent = (pos - 1) / 2;
    if (!lower(heap_[pos], heap_[parent])) return;
    std::swap(heap_[pos], heap_[parent]);
    pos = parent;
  }
}

void TopkWindow::sift_down(uint32_t pos) {
  const auto n = static_cast<uint32_t>(heap_.size());
  for (;;) {
    uint32_t least = pos, left = 2 * pos + 1, right = left + 1;
    if (left < n && lower(heap_[left], heap_[least])) least = left;
    if (right < n && lower(heap_[right], heap_[least])) least = right;
    if (least == pos) return;
    std::swap(heap_[pos], heap_[least]);
    pos = least;
  }
}

void TopkWindow::heap_push(uint32_t slot) {
  heap_.push_back(item(slot));
  sift_up(static_cast<uint32_t>(heap_.size() - 1));
}

void TopkWindow::rerank(int64_t now_bucket) {
  if (ranked_at_ == now_bucket) return;
  ranked_at_ = now_bucket;
  heap_.clear();
  for (uint32_t slot = 0; slot < entries_.size(); ++slot) {
    Entry& e = *entries_[slot];
    if (!e.used) continue;
    if (e.ring.expired(now_bucket)) {
      index_.erase(std::string_view(e.key));
      e.used = false;
      free_.push_back(slot);
      continue;
    }
    e.total = 0;
    e.ring.for_each_live(now_bucket, [&](int64_t, const Cell& c) { e.total += c.n; });
    if (e.error_bucket <= now_bucket - kBuckets) e.error = 0;
    heap_.push_back(item(slot));
  }
  for (auto pos = static_cast<uint32_t>(heap_.size() / 2); pos-- > 0;) sift_down(pos);
}

// A slot for the label set in scratch_: a free one, a new one, or the evicted lowest.
uint32_t TopkWindow::take_slot(int64_t now_bucket) {
  uint32_t slot;
  uint64_t error = 0;
  // Full: free the expired entries and bring ranks to the present bucket (once per bucket).
  if (free_.empty() && entries_.size() >= capacity_) rerank(now_bucket);
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else if (entries_.size() < capacity_) {
    slot = static_cast<uint32_t>(entries_.size());
    entries_.push_back(std::make_unique<Entry>());
  } else {
    // Counts only grew since their ranks were stored: refresh the root until it is current.
    while (heap_[0].rank != rank(*entries_[heap_[0].slot])) {
      heap_[0].rank = rank(*entries_[heap_[0].slot]);
      sift_down(0);
    }
    slot = heap_[0].slot;
    Entry& victim = *entries_[slot];
    error = victim.total;
    ++evicted_;
    auto node = index_.extract(std::string_view(victim.key));
    victim.key.assign(scratch_);
    node.key() = victim.key;
    node.mapped() = slot;
    index_.insert(std::move(node));
    victim.ring.reset();
    victim.total = 0;
    victim.error = error;
    victim.error_bucket = now_bucket;
    victim.sequence = ++sequence_;
    heap_[0] = item(slot);
    sift_down(0);
    return slot;
  }
  Entry& e = *entries_[slot];
  e.key.assign(scratch_);
  e.ring.reset();
  e.total = 0;
  e.error = 0;
  e.error_bucket = now_bucket;
  e.sequence = ++sequence_;
  e.used = true;
  index_.emplace(std::string_view(e.key), slot);
  heap_push(slot);
  return slot;
}

void TopkWindow::place(const Sample& sample, int64_t bucket) {
  const int64_t now = now_bucket();
  join_labels(sample.labels, scratch_);
  auto it = index_.find(std::string_view(scratch_));
  uint32_t slot = it != index_.end() ? it->second : take_slot(now);
  Entry& e = *entries_[slot];
  ++e.ring.at(bucket).n;
  ++e.total;  // its heap item's rank is now one behind: refreshed lazily at an eviction
}

void TopkWindow::collect(int64_t, std::vector<Point>& out) {
  ranked_.clear();
  for (const auto& e : entries_) {
    if (e->used && e->total) ranked_.emplace_back(e->total, e->key);
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

void TopkWindow::clear() {
  entries_.clear();
  index_.clear();
  heap_.clear();
  free_.clear();
  ranked_at_ = INT64_MIN;
}

// Per entry: key, newest bucket, error, error bucket age, used cells as (age, count).
void TopkWindow::save_series(std::string& out) const {
  BlobWriter w(out);
  w.u64(index_.size());
  for (const auto& entry : entries_) {
    const Entry& e = *entry;
    if (!e.used) continue;
    const int64_t newest = e.ring.newest();
    w.bytes(e.key);
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
    if (!r.ok() || index_.count(key) || entries_.size() >= capacity_) return false;
    auto slot = static_cast<uint32_t>(entries_.size());
    Entry& e = *entries_.emplace_back(std::make_unique<Entry>());
    e.key.assign(key);
    e.used = true;
    index_.emplace(std::string_view(e.key), slot);
    e.error = r.u64();
    e.error_bucket = newest - r.i64();
    for (uint64_t cells = r.count(); cells > 0 && r.ok(); --cells) {
      int64_t age = r.i64();
      if (age < 0 || age >= kBuckets) return false;
      e.ring.at(newest);
      e.ring.at(newest - age).n = r.u64();
    }
  }
  ranked_at_ = INT64_MIN;  // totals and heap are rebuilt at the next add or read
  return r.ok() && r.at_end();
}

}  // namespace logpulse::window
