// StatusBoard: the latest picture of every source (its files, positions, totals), published
// by the ingestion thread and read by the HTTP thread. A mutex guards the snapshot; it is
// taken once per publication and once per request, never per line. Safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "core/file_status.h"

namespace logpulse::core {

struct SourceStatus {
  std::string name;
  std::string watcher;  // inotify | poll
  std::uint64_t lines_read = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t lines_unmatched = 0;  // lines (records) no rule matched
  bool has_rules = false;
  double lines_per_second = 0;  // over the last publication interval
  std::vector<FileStatus> files;
};

class StatusBoard {
 public:
  void publish(std::vector<SourceStatus> sources);
  std::vector<SourceStatus> snapshot() const;

  void set_ready() { ready_.store(true); }
  bool ready() const { return ready_.load(); }

 private:
  mutable std::mutex mutex_;
  std::vector<SourceStatus> sources_;
  std::chrono::steady_clock::time_point published_at_{};
  std::atomic<bool> ready_{false};
};

}  // namespace logpulse::core
