// The typed configuration of logpulse, produced once by config::load() and read-only after.
// Plain values: copy freely; safe for concurrent reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace logpulse::config {

enum class StartAt { kEnd, kBeginning };
enum class WatcherKind { kAuto, kPoll };

struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
  unsigned short port = 0;
};

struct Source {
  std::string name;
  std::vector<std::string> paths;    // globs, rescanned
  std::vector<std::string> exclude;  // globs on the base name (or the whole path if it has '/')
  StartAt start_at = StartAt::kEnd;
  std::size_t max_line_bytes = 65536;
  std::chrono::milliseconds rotate_wait{5000};  // how long a rotated-away file is drained
};

struct Config {
  std::string file;  // where it was loaded from, for messages
  std::vector<ListenAddress> listen{{"127.0.0.1", 9273}};
  std::string state_dir = "./logpulse-state";
  std::chrono::milliseconds checkpoint_interval{5000};
  WatcherKind watcher = WatcherKind::kAuto;
  std::chrono::milliseconds poll_interval{250};
  std::chrono::milliseconds rescan_interval{1000};
  std::vector<Source> sources;
};

}  // namespace logpulse::config
