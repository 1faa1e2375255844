#include "window/quantile_window.h"

namespace logpulse::window {

QuantileWindow::QuantileWindow(const WindowSpec& spec) : Window(spec), table_(spec.max_series) {}

std::size_t QuantileWindow::memory_bytes() const {
  std::size_t bytes = table_.map().bucket_count() * sizeof(void*);
  for (const auto& [key, ring] : table_.map()) {
    bytes += SeriesTable<Ring>::node_overhead(key);
    ring.for_each_live(ring.newest(), [&](int64_t, const LogBins& b) { bytes += b.memory_bytes(); });
  }
  return bytes;
}

void QuantileWindow::place(const Sample& sample, int64_t bucket) {
  Ring* ring = table_.find_or_add(sample.labels, now_bucket());
  if (!ring) return count_dropped();
  ring->at(bucket).add(sample.value);
}

void QuantileWindow::collect(int64_t now_bucket, std::vector<Point>& out) {
  for (const auto& [key, ring] : table_.map()) {
    merger_.reset();
    ring.for_each_live(now_bucket, [&](int64_t, const LogBins& b) { merger_.add(b); });
    if (merger_.total() == 0) continue;
    for (double q : spec().quantiles) out.push_back({key, q, merger_.quantile(q)});
  }
}

void QuantileWindow::save_series(std::string& out) const {
  BlobWriter w(out);
  w.u64(table_.size());
  for (const auto& [key, ring] : table_.map()) {
    // A lambda may not name a structured binding in clang 14: copy what it needs.
    const int64_t newest = ring.newest();
    w.bytes(key);
    w.i64(newest);
    uint64_t used = 0;
    ring.for_each_live(newest, [&](int64_t, const LogBins& b) { used += b.total() != 0; });
    w.u64(used);
    ring.for_each_live(newest, [&](int64_t b, const LogBins& bins) {
      if (bins.total() != 0) w.i64(newest - b), bins.write(w);
    });
  }
}

bool QuantileWindow::restore_series(std::string_view blob) {
  BlobReader r(blob);
  for (uint64_t n = r.count(); n > 0 && r.ok(); --n) {
    std::string_view key = r.bytes();
    int64_t newest = r.i64();
    Ring& ring = table_.emplace(key);
    for (uint64_t cells = r.count(); cells > 0 && r.ok(); --cells) {
      int64_t age = r.i64();
      if (age < 0 || age >= kBuckets) return false;
      ring.at(newest);
      if (!ring.at(newest - age).read(r)) return false;
    }
  }
  return r.ok() && r.at_end();
}

}  // namespace logpulse::window
