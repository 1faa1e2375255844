// SourceCounters: what following one source has done so far (lines, bytes, rotations, ...)
// and the current lag of each followed path, as plain numbers that know nothing of how they
// are exported. The follower writes them on the ingestion thread; an exporter (the
// pipeline's self-metrics) reads them from any thread. Counters are relaxed atomics bumped
// once per batch or per file event, never per line; the lag table takes its mutex when
// files come and go and once per read round.
//
//   core::SourceCounters& counters = ...;           // outlives the follower
//   counters.record_batch(batch);                    // after a batch is committed
//   for (auto& [path, bytes] : counters.lag_snapshot()) ...
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "core/line_batch.h"

namespace logpulse::core {

struct SourceCounters {
  std::atomic<std::uint64_t> lines_read{0};
  std::atomic<std::uint64_t> bytes_read{0};
  std::atomic<std::uint64_t> lines_truncated{0};
  std::atomic<std::uint64_t> nul_bytes_skipped{0};
  std::atomic<std::uint64_t> read_errors{0};
  std::atomic<std::uint64_t> rotations{0};
  std::atomic<std::uint64_t> truncations{0};
  std::atomic<std::uint64_t> files_followed{0};  // a level, not a count

  // Once per batch of lines: what it delivered.
  void record_batch(const LineBatch& batch) {
    lines_read.fetch_add(batch.lines.size(), std::memory_order_relaxed);
    bytes_read.fetch_add(batch.bytes, std::memory_order_relaxed);
    if (batch.lines_truncated) lines_truncated.fetch_add(batch.lines_truncated, std::memory_order_relaxed);
    if (batch.nul_bytes_skipped) nul_bytes_skipped.fetch_add(batch.nul_bytes_skipped, std::memory_order_relaxed);
  }
  static void bump(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

  // The lag table: bytes written to the files under a path but not yet processed. A path
  // is in the table from add_lag_path() to remove_lag_path().
  void add_lag_path(const std::string& path) {
    std::lock_guard lock(lag_mutex_);
    lag_.try_emplace(path, 0);
  }
  void remove_lag_path(const std::string& path) {
    std::lock_guard lock(lag_mutex_);
    lag_.erase(path);
  }
  void set_lag(const std::map<std::string, std::uint64_t>& by_path) {
    std::lock_guard lock(lag_mutex_);
    for (const auto& [path, bytes] : by_path)
      if (auto it = lag_.find(path); it != lag_.end()) it->second = bytes;
  }
  std::map<std::string, std::uint64_t> lag_snapshot() const {
    std::lock_guard lock(lag_mutex_);
    return lag_;
  }

 private:
  mutable std::mutex lag_mutex_;
  std::map<std::string, std::uint64_t> lag_;
};

}  // namespace logpulse::core
