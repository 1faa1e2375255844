// ScalarWindow<Agg>: the windows whose value is one number per label set: count, rate (per
// second over `over`), sum, avg, min, max. Each label set holds a BucketRing of one small
// cell per bucket (count: 8 bytes, avg: 16 bytes), combined at read: min/max keep the
// per-bucket min/max and take the min/max of the live buckets. Memory per label set:
// kBuckets * sizeof(Cell) + 8 bytes + the key and map node. No allocation on add() once the
// label set exists. Thread safety as Window.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "window/blob.h"
#include "window/bucket_ring.h"
#include "window/series_table.h"
#include "window/window.h"

namespace logpulse::window {

struct CountAgg {
  struct Cell {
    uint64_t n = 0;
    void clear() { n = 0; }
  };
  static void add(Cell& c, double) { ++c.n; }
  static bool used(const Cell& c) { return c.n != 0; }
  static void write(BlobWriter& w, const Cell& c) { w.u64(c.n); }
  static void read(BlobReader& r, Cell& c) { c.n = r.u64(); }
  struct Acc {
    uint64_t n = 0;
    void fold(const Cell& c) { n += c.n; }
    double value(double /*over_seconds*/) const { return static_cast<double>(n); }
  };
};

struct RateAgg : CountAgg {
  struct Acc : CountAgg::Acc {
    double value(double over_seconds) const { return static_cast<double>(n) / over_seconds; }
  };
};

struct SumAgg {
  struct Cell {
    double sum = 0;
    uint64_t n = 0;  // so a bucket whose values sum to 0 still counts as used
    void clear() { sum = 0, n = 0; }
  };
  static void add(Cell& c, double v) { c.sum += v, ++c.n; }
  static bool used(const Cell& c) { return c.n != 0; }
  static void write(BlobWriter& w, const Cell& c) { w.f64(c.sum), w.u64(c.n); }
  static void read(BlobReader& r, Cell& c) { c.sum = r.f64(), c.n = r.u64(); }
  struct Acc {
    double sum = 0;
    uint64_t n = 0;
    void fold(const Cell& c) { sum += c.sum, n += c.n; }
    double value(double) const { return sum; }
  };
};

struct AvgAgg : SumAgg {
  struct Acc : SumAgg::Acc {
    double value(double) const { return sum / static_cast<double>(n); }
  };
};

struct MinAgg {
  struct Cell {
    double v = std::numeric_limits<double>::infinity();
    void clear() { v = std::numeric_limits<double>::infinity(); }
  };
  static void add(Cell& c, double x) { c.v = std::min(c.v, x); }
  static bool used(const Cell& c) { return c.v != std::numeric_limits<double>::infinity(); }
  static void write(BlobWriter& w, const Cell& c) { w.f64(c.v); }
  static void read(BlobReader& r, Cell& c) { c.v = r.f64(); }
  struct Acc {
    double v = std::numeric_limits<double>::infinity();
    void fold(const Cell& c) { v = std::min(v, c.v); }
    double value(double) const { return v; }
  };
};

struct MaxAgg {
  struct Cell {
    double v = -std::numeric_limits<double>::infinity();
    void clear() { v = -std::numeric_limits<double>::infinity(); }
  };
  static void add(Cell& c, double x) { c.v = std::max(c.v, x); }
  static bool used(const Cell& c) { return c.v != -std::numeric_limits<double>::infinity(); }
  static void write(BlobWriter& w, const Cell& c) { w.f64(c.v); }
  static void read(BlobReader& r, Cell& c) { c.v = r.f64(); }
  struct Acc {
    double v = -std::numeric_limits<double>::infinity();
    void fold(const Cell& c) { v = std::max(v, c.v); }
    double value(double) const { return v; }
  };
};

template <class A>
class ScalarWindow final : public Window {
 public:
  explicit ScalarWindow(const WindowSpec& spec) : Window(spec), table_(spec.max_series) {}

  std::size_t series() const override { return table_.size(); }
  std::size_t memory_bytes() const override {
    std::size_t bytes = table_.map().bucket_count() * sizeof(void*);
    for (const auto& [key, ring] : table_.map()) bytes += Table::node_overhead(key);
    return bytes;
  }

 private:
  struct Ring : BucketRing<typename A::Cell> {
    bool expired(int64_t now_bucket) const {
      return BucketRing<typename A::Cell>::expired(now_bucket);
    }
  };
  using Table = SeriesTable<Ring>;

  void place(const Sample& sample, int64_t bucket) override {
    Ring* ring = table_.find_or_add(sample.labels, now_bucket());
    if (!ring) return count_dropped();
    A::add(ring->at(bucket), sample.value);
  }

  void collect(int64_t now_bucket, std::vector<Point>& out) override {
    for (const auto& [key, ring] : table_.map()) {
      typename A::Acc acc;
      ring.for_each_live(now_bucket, [&](int64_t, const typename A::Cell& c) { acc.fold(c); });
      out.push_back({key, 0, acc.value(over_seconds())});
    }
  }

  void expire(int64_t now_bucket) override { table_.expire(now_bucket); }
  void clear() override { table_.clear(); }

  // Per label set: key, newest bucket, number of used cells, then (bucket, cell) pairs.
  void save_series(std::string& out) const override {
    BlobWriter w(out);
    w.u64(table_.size());
    for (const auto& [key, ring] : table_.map()) {
      // A lambda may not name a structured binding in clang 14: copy what it needs.
      const int64_t newest = ring.newest();
      w.bytes(key);
      w.i64(newest);
      uint64_t used = 0;
      ring.for_each_live(newest, [&](int64_t, const auto& c) { used += A::used(c); });
      w.u64(used);
      ring.for_each_live(newest, [&](int64_t b, const auto& c) {
        if (A::used(c)) w.i64(newest - b), A::write(w, c);
      });
    }
  }

  bool restore_series(std::string_view blob) override {
    BlobReader r(blob);
    for (uint64_t n = r.count(); n > 0 && r.ok(); --n) {
      std::string_view key = r.bytes();
      int64_t newest = r.i64();
      Ring& ring = table_.emplace(key);
      for (uint64_t cells = r.count(); cells > 0 && r.ok(); --cells) {
        int64_t age = r.i64();
        if (age < 0 || age >= kBuckets) return false;
        ring.at(newest);
        A::read(r, ring.at(newest - age));
      }
    }
    return r.ok() && r.at_end();
  }

  Table table_;
};

}  // namespace logpulse::window
