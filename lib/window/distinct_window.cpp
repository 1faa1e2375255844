#include "window/distinct_window.h"

namespace logpulse::window {

std::size_t DistinctWindow::memory_bytes() const {
  std::size_t bytes = table_.map().bucket_count() * sizeof(void*);
  for (const auto& [key, hll] : table_.map()) {
    bytes += SeriesTable<SlidingHll>::node_overhead(key) + hll.memory_bytes() - sizeof(hll);
  }
  return bytes;
}

void DistinctWindow::place(const Sample& sample, int64_t bucket) {
  SlidingHll* hll = table_.find_or_add(sample.labels, now_bucket());
  if (!hll) return count_dropped();
  hll->add(SlidingHll::hash_of(sample.key), bucket, now_bucket());
}

void DistinctWindow::collect(int64_t now_bucket, std::vector<Point>& out) {
  for (auto& [key, hll] : table_.map()) out.push_back({key, 0, hll.estimate(now_bucket)});
}

void DistinctWindow::save_series(std::string& out) const {
  BlobWriter w(out);
  w.u64(table_.size());
  for (const auto& [key, hll] : table_.map()) {
    w.bytes(key);
    hll.write(w);
  }
}

bool DistinctWindow::restore_series(std::string_view blob) {
  BlobReader r(blob);
  for (uint64_t n = r.count(); n > 0 && r.ok(); --n) {
    std::string_view key = r.bytes();
    if (!table_.emplace(key).read(r)) return false;
  }
  return r.ok() && r.at_end();
}

}  // namespace logpulse::window
