// SourceMatcher: the rules of one source, compiled once, applied to its lines.
//
//   SourceMatcher matcher(config, source, store, self_metrics);   // throws ConfigError
//   matcher.process(batch.lines, now_ms);                           // hot path
//
// Per line: invalid UTF-8 is repaired into a reused buffer (so `.`, `\S` and negated classes
// see U+FFFD for a stray byte, as Go's regexp and mtail do, and label values are valid); one
// RE2::Set pass picks the candidate rules (skipped when the source has one rule); only those
// extract captures, as string_views; every matching rule updates its metrics through
// handles cached per label set. json sources parse each line into fields instead, which
// rules use as captures. multiline joins continuation lines to the record before them.
// A record no rule matched is kept in a bounded ring (unmatched_samples()), which costs
// matched records nothing and allocates nothing once full.
// Self-metric counters are added once per batch. Not thread safe: one ingestion thread.
#pragma once

#include <re2/re2.h>
#include <re2/set.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/log_throttle.h"
#include "match/json_fields.h"
#include "match/timestamp_parser.h"
#include "match/unmatched_samples.h"
#include "metrics/metric_store.h"
#include "metrics/self_metrics.h"
#include "tail/line_batch.h"
#include "window/window.h"

namespace logpulse::match {

// Where a capture comes from: a regex group, or (json sources) a field by name.
struct CaptureRef {
  int group = -1;
  std::string field;
};

struct CompiledMetric {
  metrics::RuleMetric* family = nullptr;
  std::vector<std::optional<CaptureRef>> labels;  // family label order; nullopt: constant
  std::vector<std::string> constants;
  std::optional<CaptureRef> value;
  prometheus::Counter* value_errors = nullptr;
  std::uint64_t pending_value_errors = 0;
};

// A configured window and the Window that holds it (owned by the caller, who keeps it alive
// as long as the matcher): the windows sink of a rule's match records.
struct WindowTarget {
  const config::WindowConfig* config = nullptr;
  window::Window* window = nullptr;
};

// How a window places a record of a rule with an event time (`timestamp:`).
enum class WindowTime {
  kWallClock,  // the daemon: `now` is the clock's wall time at each batch
  kEventTime,  // --once over an archive: `now` is the latest event time seen by the window
};

struct CompiledWindow {
  window::Window* window = nullptr;
  std::vector<CaptureRef> by;
  std::optional<CaptureRef> of;
  bool numeric_of = false;  // `of` is a number (sum avg min max quantile), not a key (distinct)
  std::vector<std::pair<CaptureRef, std::unique_ptr<RE2>>> where;
  prometheus::Counter* value_errors = nullptr;
  std::uint64_t pending_value_errors = 0;
};

struct CompiledRule {
  std::string name;
  std::unique_ptr<RE2> regex;  // null: a json rule without match, which takes every object
  std::optional<CaptureRef> match_field;
  int groups_needed = 0;
  std::vector<CompiledMetric> metrics;
  std::vector<CompiledWindow> windows;
  std::optional<CaptureRef> timestamp_field;
  std::unique_ptr<TimestampParser> timestamp;
  prometheus::Counter* matched = nullptr;
  prometheus::Counter* timestamp_errors = nullptr;
  std::uint64_t pending_matched = 0;
  std::uint64_t pending_timestamp_errors = 0;
};

class SourceMatcher {
 public:
  // `windows`: every configured window; those of this source's rules are fed. Wall time for
  // the windows is read from `clock` once per batch.
  SourceMatcher(const config::Config& config, const config::Source& source, metrics::MetricStore& store,
                metrics::SelfMetrics& self_metrics, std::span<const WindowTarget> windows = {},
                const core::Clock& clock = core::system_clock());
  SourceMatcher(const SourceMatcher&) = delete;
  SourceMatcher& operator=(const SourceMatcher&) = delete;

  // A batch from a follower: its lines are contiguous in one buffer, so one UTF-8 check over
  // the whole range replaces a check per line in the common case.
  void process(const tail::LineBatch& batch, std::int64_t now_ms);
  // Lines from anywhere; `known_valid_utf8` skips the per-line check.
  // Multiline records are joined per `file`.
  void process(std::span<const std::string_view> lines, std::int64_t now_ms, bool known_valid_utf8 = false,
               std::string_view file = {});
  // multiline: emits the pending record once it has waited `timeout` since its last line.
  void flush_idle(std::int64_t now_ms);
  // Emits the pending record now (end of input).
  void flush(std::int64_t now_ms);
  // --explain: which rules match `line` (a record) and their captures, or why none did.
  void explain(std::string_view line, std::int64_t now_ms, std::ostream& out);
  // --explain over one file's lines as they come: a multiline source explains each joined
  // record once it is complete (`header` is printed before it); others explain each line.
  void explain_lines(std::span<const std::string_view> lines, const std::function<void(std::string_view)>& header,
                     std::ostream& out);
  void explain_flush(const std::function<void(std::string_view)>& header, std::ostream& out);

  void set_window_time(WindowTime mode) { window_time_ = mode; }

  bool has_rules() const { return !rules_.empty(); }
  // The last records no rule matched (status.unmatched_samples of them), for the status page.
  const UnmatchedSamples& unmatched_samples() const { return unmatched_samples_; }
  bool multiline() const { return multiline_start_ != nullptr; }
  std::chrono::milliseconds multiline_timeout() const { return multiline_timeout_; }
  // multiline: the records still being joined, one per file, for the checkpoint (their
  // lines are committed): file path -> record.
  std::vector<std::pair<std::string, std::string>> pending_records() const;
  bool has_pending_record() const;
  void restore_pending_record(const std::string& path, std::string record, std::int64_t now_ms);

 private:
  // A record is joined from the lines of one file: one pending record per file.
  struct Pending {
    std::string record;
    bool open = false;
    std::int64_t last_line_ms = 0;
  };

  // Joins `line` to the pending record, or completes that record (emit(record)) and
  // starts a new one.
  template <typename Emit>
  void add_line(std::string_view line, std::int64_t now_ms, Emit&& emit);
  Pending& pending_for(std::string_view file);
  void process_record(std::string_view record, std::int64_t now_ms, bool known_valid_utf8);
  bool match_rule(CompiledRule& rule, std::string_view text);
  std::string_view capture(const CaptureRef& ref) const;
  // The number `metric` adds, sets or observes for the current captures; false when the
  // capture is no finite number (or is negative for a counter).
  bool metric_value(const CompiledMetric& metric, double& value) const;
  void apply(CompiledRule& rule, std::int64_t now_ms);
  void feed_windows(CompiledRule& rule, std::optional<std::int64_t> event_ns);
  void publish_counts();

  std::string source_name_;
  core::LogThrottle throttle_;
  config::Format format_;
  std::vector<CompiledRule> rules_;
  std::vector<CompiledRule> fallback_rules_;  // `unmatched: true`: lines no rule matched
  std::unique_ptr<RE2::Set> set_;  // over text rules, when there are several
  prometheus::Counter* unmatched_ = nullptr;
  prometheus::Counter* json_errors_ = nullptr;
  std::uint64_t pending_unmatched_ = 0;
  std::uint64_t pending_json_errors_ = 0;
  UnmatchedSamples unmatched_samples_;  // status.unmatched_samples; recorded only when no rule matched

  // Reused per line: no allocation once warm.
  std::string repaired_;
  std::vector<int> candidates_;
  std::vector<re2::StringPiece> groups_;
  std::vector<std::string_view> label_values_;
  std::vector<std::string_view> window_labels_;
  const core::Clock& clock_;
  WindowTime window_time_ = WindowTime::kWallClock;
  window::WallTime wall_now_{};  // the current batch's, for windows
  bool has_windows_ = false;
  JsonFields json_;
  bool json_ok_ = false;

  std::unique_ptr<RE2> multiline_start_;
  std::chrono::milliseconds multiline_timeout_{0};
  std::size_t max_record_bytes_ = 0;
  std::map<std::string, Pending, std::less<>> pending_by_file_;
  Pending* pending_ = nullptr;  // the current batch's file
};

}  // namespace logpulse::match
