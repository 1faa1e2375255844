// The typed configuration of logpulse, produced once by config::load() and read-only after.
// Plain values: copy freely; safe for concurrent reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace logpulse::config {

enum class StartAt { kEnd, kBeginning };
enum class Format { kText, kJson };
enum class MetricType { kCounter, kGauge, kHistogram, kSummary };
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
  Format format = Format::kText;
  std::string multiline_start;  // RE2; empty: every line is a record
  std::chrono::milliseconds multiline_timeout{1000};
  int line = 0, column = 0;                      // where it was defined, for messages
  int multiline_line = 0, multiline_column = 0;  // where multiline.start is
};

// Where a label's value comes from: a capture (or JSON field) or a constant.
struct LabelSpec {
  std::string name;
  std::string capture;  // empty for a constant label
  std::string constant;
};

struct MetricSpec {
  std::string name;
  MetricType type = MetricType::kCounter;
  std::string help;
  std::vector<LabelSpec> labels;
  std::string value;              // capture holding the number; empty: counter adds 1
  std::vector<double> buckets;    // histogram upper bounds, ascending
  std::vector<double> quantiles;  // summary
  std::chrono::milliseconds summary_max_age{600000};
  int line = 0, column = 0;  // where it was defined, for messages
};

struct TimestampSpec {
  std::string field;
  std::string layout;
};

struct Rule {
  std::string name;
  std::string source;
  std::string match;                     // as written, before %{NAME} expansion; may be empty for json
  int match_line = 0, match_column = 0;  // where `match` is, for messages
  std::string field;                     // json: match this field instead of the whole line
  bool unmatched = false;                // fires for lines no other rule of the source matched
  TimestampSpec timestamp;               // field empty: no event time
  std::vector<MetricSpec> metrics;
  std::size_t max_series = 10000;
  std::chrono::milliseconds expire_after{0};  // 0: never
  int line = 0, column = 0;
};

struct NamedPattern {
  std::string name;
  std::string pattern;
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
  std::vector<NamedPattern> patterns;
  std::vector<Rule> rules;
};

}  // namespace logpulse::config
