// Window: one sliding window of SPEC.md's `windows:`, fed match records and read by the
// exporter and the alert evaluator. make_window() picks the implementation for spec.agg.
//
//   auto w = make_window(spec);
//   w->add({.labels = by_values, .value = 0.25}, event_time, now);   // event time
//   w->add({.labels = by_values, .value = 0.25}, now);               // arrival time
//   w->read(now, points);   // one Point per live label set (per quantile for kQuantile)
//
// Time base: wall time (core::Clock::wall()). Event times are wall times, and a checkpoint
// restored after a restart (or a reboot) must still line up with them; steady time restarts
// from an arbitrary origin in each boot. The window keeps the highest `now` it was given as
// its present, so a wall clock stepped backwards stalls the window (arrival-time records go
// to its newest bucket) rather than emptying it. Replaying an archived log in event time
// (`--once`), pass the latest event time seen so far as `now`.
// Placement: a record older than the window (its bucket at or before now_bucket - kBuckets,
// i.e. about `at <= now - over`) is late: counted in late_total() and dropped. A record from
// the future (after now) is counted in the current bucket: a writer's clock a little ahead
// of ours must not lose lines, and the current bucket is the newest one the window reads.
//
// The value at `now` covers the buckets (now_bucket - kBuckets, now_bucket]: (now - over, now]
// with the trailing edge exact to over / kBuckets. A label set whose buckets have all
// expired leaves read() and its memory is freed (at read() or sweep()). At most
// spec.max_series label sets are held; records of more are dropped and counted in
// dropped_total() (kTopk instead evicts, see topk_window.h). late_total() is meant for
// logpulse_window_late_total{window}, dropped_total() for logpulse_series_dropped_total.
//
// Hot path: add() allocates nothing once the label set exists (the key is joined into a
// reused buffer and looked up as a string_view), except where a unit's header says so.
// Thread safety: none; one thread adds, reads and saves (the ingestion thread). Views in
// Point stay valid until the next add(), read(), sweep() or restore() on the window.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "window/window_spec.h"

namespace logpulse::window {

using WallTime = core::Clock::WallTime;

// One match record as a window sees it; all views are only read during add().
struct Sample {
  std::span<const std::string_view> labels;  // `by` capture values, in the spec's order
  double value = 0;                          // `of` for sum, avg, min, max, quantile
  std::string_view key;                      // `of` for distinct
};

struct Point {
  std::string_view labels;  // the label values joined by kLabelSeparator (series_key.h)
  double quantile = 0;      // kQuantile: which quantile; otherwise 0
  double value = 0;
};

class Window {
 public:
  explicit Window(WindowSpec spec);
  virtual ~Window() = default;
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  // Places one record by its event time `at`; `now` is the present.
  void add(const Sample& sample, WallTime at, WallTime now);
  // Places one record at the window's present (arrival time).
  void add(const Sample& sample, WallTime now);
  // Replaces `out` with the current values; frees label sets that have left the window.
  void read(WallTime now, std::vector<Point>& out);
  // Frees label sets that have left the window.
  void sweep(WallTime now);

  // Appends the window's contents to `out`; restore() reads them back (false, and the
  // window left empty, when the blob is corrupt or was written by a different spec).
  void save(std::string& out) const;
  bool restore(std::string_view blob);

  const WindowSpec& spec() const { return spec_; }
  uint64_t late_total() const { return late_; }
  uint64_t dropped_total() const { return dropped_; }
  uint64_t invalid_total() const { return invalid_; }  // NaN values, skipped
  virtual std::size_t series() const = 0;
  // Bytes held by the window's state (estimate, for the README bounds and self-metrics).
  virtual std::size_t memory_bytes() const = 0;
  int64_t bucket_of(WallTime t) const;
  // The latest instant of the newest bucket the window has reached (its present), or
  // WallTime::min() before the first add() or read(). --once reads windows there.
  WallTime present() const;

 protected:
  // Adds a valid record to its label set's bucket (late/future already handled).
  virtual void place(const Sample& sample, int64_t bucket) = 0;
  virtual void collect(int64_t now_bucket, std::vector<Point>& out) = 0;
  virtual void expire(int64_t now_bucket) = 0;
  virtual void save_series(std::string& out) const = 0;
  virtual bool restore_series(std::string_view blob) = 0;
  virtual void clear() = 0;

  int64_t now_bucket() const { return now_bucket_; }
  void count_dropped() { ++dropped_; }
  void count_invalid() { ++invalid_; }
  double over_seconds() const { return std::chrono::duration<double>(spec_.over).count(); }

 private:
  void advance(WallTime now);

  WindowSpec spec_;
  int64_t width_ns_;
  int64_t now_bucket_;
  WallTime last_now_ = WallTime::min();  // callers pass one `now` per batch: skip its division when unchanged
  uint64_t late_ = 0;
  uint64_t dropped_ = 0;
  uint64_t invalid_ = 0;
};

std::unique_ptr<Window> make_window(const WindowSpec& spec);

}  // namespace logpulse::window
