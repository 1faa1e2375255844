// StatusBoard: the latest picture of every source (its files, positions, totals, rules, the
// lines no rule matched, and its line rate over the last 15 minutes), published by the
// ingestion thread and read by the HTTP thread (the status page, /api/v1/sources).
//
//   board.publish(std::move(sources));          // every 250 ms, ingestion thread
//   for (const SourceStatus& s : board.snapshot()) ...                 // any thread
//
// The board derives the rates from successive publications: lines_per_second and each
// rule's matched_per_second over the last publication interval, and rate_history, one
// point per kRateStep (the mean rate over that step), at most kRatePoints, kept per source
// name. A mutex guards the state; it is taken once per publication and once per request,
// never per line. Safe for concurrent use; snapshot() returns copies.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "match/unmatched_samples.h"
#include "tail/follower.h"

namespace logpulse::pipeline {

struct RuleStatus {
  std::string name;
  std::uint64_t lines_matched = 0;  // logpulse_lines_matched_total{rule}
  double matched_per_second = 0;    // over the last publication interval (set by the board)
};

struct SourceStatus {
  std::string name;
  std::string watcher;  // inotify | poll
  std::uint64_t lines_read = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t lines_unmatched = 0;  // lines (records) no rule matched
  bool has_rules = false;
  std::vector<RuleStatus> rules;                       // the source's rules, in configuration order
  std::vector<match::UnmatchedLine> unmatched_samples;  // the last lines no rule matched, oldest first
  std::vector<tail::FileStatus> files;
  // Set by the board:
  double lines_per_second = 0;       // over the last publication interval
  std::vector<double> rate_history;  // lines/s per kRateStep, oldest first, at most kRatePoints
};

class StatusBoard {
 public:
  // The rate history: 90 points of 10 s, the last 15 minutes.
  static constexpr std::chrono::seconds kRateStep{10};
  static constexpr std::size_t kRatePoints = 90;

  void publish(std::vector<SourceStatus> sources) { publish(std::move(sources), std::chrono::steady_clock::now()); }
  // With the time of the publication (tests drive the history with it).
  void publish(std::vector<SourceStatus> sources, std::chrono::steady_clock::time_point now);
  std::vector<SourceStatus> snapshot() const;

  void set_ready() { ready_.store(true); }
  bool ready() const { return ready_.load(); }

 private:
  // A source's rate history: the step being measured and the points completed.
  struct History {
    std::string name;
    std::chrono::steady_clock::time_point step_start{};
    std::uint64_t lines_at_step_start = 0;
    std::deque<double> points;
  };
  void advance(History& history, const SourceStatus& source, std::chrono::steady_clock::time_point now);

  mutable std::mutex mutex_;
  std::vector<SourceStatus> sources_;
  std::vector<History> histories_;  // one per published source
  std::chrono::steady_clock::time_point published_at_{};
  std::atomic<bool> ready_{false};
};

}  // namespace logpulse::pipeline
