#include "window/window.h"

#include <algorithm>
#include <cmath>

#include "window/blob.h"
#include "window/distinct_window.h"
#include "window/quantile_window.h"
#include "window/scalar_window.h"
#include "window/topk_window.h"

namespace logpulse::window {
namespace {
constexpr std::string_view kMagic = "LPW1";
}

const char* agg_name(Agg agg) {
  switch (agg) {
    case Agg::kCount: return "count";
    case Agg::kSum: return "sum";
    case Agg::kAvg: return "avg";
    case Agg::kMin: return "min";
    case Agg::kMax: return "max";
    case Agg::kRate: return "rate";
    case Agg::kQuantile: return "quantile";
    case Agg::kDistinct: return "distinct";
    case Agg::kTopk: return "topk";
  }
  return "?";
}

Window::Window(WindowSpec spec)
    : spec_(std::move(spec)),
      width_ns_(std::max<int64_t>(1, spec_.over.count() / kBuckets)),
      now_bucket_(BucketRing<char>::kNone) {}

int64_t Window::bucket_of(WallTime t) const {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return floor_div(ns, width_ns_);
}

WallTime Window::present() const {
  if (now_bucket_ == BucketRing<char>::kNone) return WallTime::min();
  const int64_t ns = now_bucket_ * width_ns_ + (width_ns_ - 1);
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds(ns)));
}

void Window::advance(WallTime now) {
  if (now == last_now_) return;
  last_now_ = now;
  now_bucket_ = std::max(now_bucket_, bucket_of(now));
}

void Window::add(const Sample& sample, WallTime at, WallTime now) {
  advance(now);
  int64_t bucket = bucket_of(at);
  if (bucket <= now_bucket_ - kBuckets) {
    ++late_;
    return;
  }
  if (std::isnan(sample.value)) {
    ++invalid_;
    return;
  }
  place(sample, std::min(bucket, now_bucket_));
}

void Window::add(const Sample& sample, WallTime now) {
  advance(now);
  if (std::isnan(sample.value)) {
    ++invalid_;
    return;
  }
  place(sample, now_bucket_);
}

void Window::read(WallTime now, std::vector<Point>& out) {
  advance(now);
  expire(now_bucket_);
  out.clear();
  collect(now_bucket_, out);
}

void Window::sweep(WallTime now) {
  advance(now);
  expire(now_bucket_);
}

void Window::save(std::string& out) const {
  BlobWriter w(out);
  out.append(kMagic);
  w.u64(static_cast<uint64_t>(spec_.agg));
  w.i64(width_ns_);
  w.i64(now_bucket_);
  w.u64(late_);
  w.u64(dropped_);
  w.u64(invalid_);
  std::string series;
  save_series(series);
  w.bytes(series);
}

bool Window::restore(std::string_view blob) {
  clear();
  if (blob.substr(0, kMagic.size()) != kMagic) return false;
  BlobReader r(blob.substr(kMagic.size()));
  auto agg = r.u64();
  auto width = r.i64();
  auto now_bucket = r.i64();
  auto late = r.u64();
  auto dropped = r.u64();
  auto invalid = r.u64();
  auto series = r.bytes();
  if (!r.ok() || !r.at_end() || agg != static_cast<uint64_t>(spec_.agg) || width != width_ns_) {
    return false;
  }
  if (!restore_series(series)) {
    clear();
    return false;
  }
  now_bucket_ = std::max(now_bucket_, now_bucket);
  late_ = late;
  dropped_ = dropped;
  invalid_ = invalid;
  return true;
}

std::unique_ptr<Window> make_window(const WindowSpec& spec) {
  switch (spec.agg) {
    case Agg::kCount: return std::make_unique<ScalarWindow<CountAgg>>(spec);
    case Agg::kRate: return std::make_unique<ScalarWindow<RateAgg>>(spec);
    case Agg::kSum: return std::make_unique<ScalarWindow<SumAgg>>(spec);
    case Agg::kAvg: return std::make_unique<ScalarWindow<AvgAgg>>(spec);
    case Agg::kMin: return std::make_unique<ScalarWindow<MinAgg>>(spec);
    case Agg::kMax: return std::make_unique<ScalarWindow<MaxAgg>>(spec);
    case Agg::kQuantile: return std::make_unique<QuantileWindow>(spec);
    case Agg::kDistinct: return std::make_unique<DistinctWindow>(spec);
    case Agg::kTopk: return std::make_unique<TopkWindow>(spec);
  }
  return nullptr;
}

}  // namespace logpulse::window
