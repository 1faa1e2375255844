// WindowSet: the configured windows (config.windows) of one generation, one window::Window
// each, in configuration order. SourceMatchers feed them (targets()); the evaluation reads
// them all into a WindowSnapshot, which the alert evaluator, /metrics and the status page
// share.
//
//   WindowSet windows(config);
//   SourceMatcher matcher(config, source, store, self_metrics, windows.targets());
//   std::shared_ptr<const WindowSnapshot> now = windows.snapshot(clock.wall());
//
// Threads: the set and its windows belong to the ingestion thread (feeding, snapshot(),
// save(), restore()). A snapshot is immutable once made: share it with any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alert/expr.h"
#include "alert/labels.h"
#include "config/config.h"
#include "match/source_matcher.h"
#include "window/window.h"

namespace logpulse::pipeline {

struct WindowSeries {
  std::vector<std::string> labels;  // the `by` values, in the window's `by` order
  double quantile = 0;              // quantile windows: which one
  double value = 0;
};

struct WindowValues {
  std::string name;
  std::string rule;
  config::WindowAgg agg = config::WindowAgg::kCount;
  std::chrono::milliseconds over{0};
  std::vector<std::string> by;
  std::vector<WindowSeries> series;  // sorted by labels, then quantile
  std::uint64_t late = 0;            // records older than the window, dropped (since start)
  std::uint64_t dropped = 0;         // records of label sets beyond max_series (since start)
};

class WindowSnapshot {
 public:
  // `for_alerts[i]`: window i is read by an alert expression, so its lookup() vectors are
  // built (the others are only exported); empty: none is.
  WindowSnapshot(std::vector<WindowValues> windows, window::WallTime at, const std::vector<bool>& for_alerts = {});

  const std::vector<WindowValues>& windows() const { return windows_; }
  window::WallTime at() const { return at_; }
  // The series `ref` names, keyed by `by` label set (sorted by name), as alert expressions
  // read them; nullptr for an unknown window or quantile, or one not read by alerts.
  const alert::Vector* lookup(const alert::WindowRef& ref) const;

 private:
  std::vector<WindowValues> windows_;
  window::WallTime at_;
  std::map<std::pair<std::string, std::optional<double>>, alert::Vector> vectors_;
};

class WindowSet {
 public:
  explicit WindowSet(const config::Config& config);
  WindowSet(const WindowSet&) = delete;
  WindowSet& operator=(const WindowSet&) = delete;

  std::size_t size() const { return windows_.size(); }
  bool empty() const { return windows_.empty(); }
  const std::vector<match::WindowTarget>& targets() const { return targets_; }
  // What alert expressions may reference.
  std::vector<alert::WindowShape> shapes() const;
  // The windows alert expressions read: only their snapshots carry lookup() vectors.
  void set_read_by_alerts(const std::vector<std::string>& names);

  // Every window's values at `now` (label sets that left a window are freed).
  std::shared_ptr<const WindowSnapshot> snapshot(window::WallTime now);
  // --once in event time: each window read at its own present (the latest time it was given).
  std::shared_ptr<const WindowSnapshot> snapshot_at_present();

  // The checkpoint's windows section: (window name, contents). restore() puts back the
  // contents of windows whose definition is unchanged; returns how many were refused.
  std::vector<std::pair<std::string, std::string>> save() const;
  std::size_t restore(const std::vector<std::pair<std::string, std::string>>& saved);

 private:
  WindowValues read(std::size_t index, window::WallTime now);

  const config::Config& config_;
  std::vector<std::unique_ptr<window::Window>> windows_;  // parallel to config_.windows
  std::vector<match::WindowTarget> targets_;
  std::vector<window::Point> points_;  // reused by read()
  std::vector<bool> read_by_alerts_;   // parallel to windows_
};

}  // namespace logpulse::pipeline
