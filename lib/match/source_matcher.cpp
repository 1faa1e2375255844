#include "match/source_matcher.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <ostream>
#include <stdexcept>

#include "config/config_loader.h"
#include "core/text_escape.h"
#include <spdlog/spdlog.h>
#include "match/pattern_library.h"

namespace logpulse::match {

namespace {

[[noreturn]] void fail_at(const config::Config& config, int line, int column, const std::string& what) {
  throw config::ConfigError(config.file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what);
}

RE2::Options regex_options() {
  RE2::Options options;
  options.set_log_errors(false);
  return options;
}

bool parse_number(std::string_view text, double& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && std::isfinite(out);
}

}  // namespace

SourceMatcher::SourceMatcher(const config::Config& config, const config::Source& source, metrics::MetricStore& store,
                             metrics::SelfMetrics& self_metrics, std::span<const WindowTarget> windows,
                             const core::Clock& clock)
    : source_name_(source.name),
      format_(source.format),
      unmatched_samples_(config.status.unmatched_samples),
      clock_(clock) {
  std::map<std::string, std::string, std::less<>> user_patterns;
  for (const auto& p : config.patterns) user_patterns[p.name] = p.pattern;
  const bool json = source.format == config::Format::kJson;
  std::vector<std::string> expanded_patterns;
  int max_groups = 0;

  for (const auto& rule : config.rules) {
    if (rule.source != source.name) continue;
    CompiledRule compiled;
    compiled.name = rule.name;
    const std::string where = "rule " + rule.name + ": ";
    std::map<std::string, int> groups;
    if (!rule.match.empty()) {
      std::string pattern;
      const int match_line = rule.match_line > 0 ? rule.match_line : rule.line;
      const int match_column = rule.match_line > 0 ? rule.match_column : rule.column;
      try {
        pattern = expand_patterns(rule.match, user_patterns);
      } catch (const PatternError& e) {
        fail_at(config, match_line, match_column, where + "match: " + e.what());
      }
      compiled.regex = std::make_unique<RE2>(pattern, regex_options());
      if (!compiled.regex->ok())
        fail_at(config, match_line, match_column, where + "bad match pattern: " + compiled.regex->error());
      groups = compiled.regex->NamedCapturingGroups();
      expanded_patterns.push_back(pattern);
    }
    auto resolve = [&](const std::string& name, const std::string& what, int line, int column) {
      CaptureRef ref;
      auto it = groups.find(name);
      if (it != groups.end()) {
        ref.group = it->second;
        compiled.groups_needed = std::max(compiled.groups_needed, it->second + 1);
        return ref;
      }
      if (!json) {
        std::string known;
        for (const auto& [g, unused] : groups) known += (known.empty() ? "" : ", ") + g;
        fail_at(config, line, column,
                where + what + " '" + name + "' names no capture of the match (captures: " +
                    (known.empty() ? "none" : known) + ")");
      }
      ref.field = name;
      return ref;
    };
    if (!rule.field.empty()) compiled.match_field = CaptureRef{-1, rule.field};
    if (!rule.timestamp.field.empty()) {
      compiled.timestamp_field = resolve(rule.timestamp.field, "timestamp field", rule.line, rule.column);
      try {
        compiled.timestamp = std::make_unique<TimestampParser>(rule.timestamp.layout);
      } catch (const std::invalid_argument& e) {
        fail_at(config, rule.line, rule.column, where + "timestamp layout: " + e.what());
      }
      compiled.timestamp_errors = &self_metrics.timestamp_errors(rule.name);
    }
    for (const auto& spec : rule.metrics) {
      CompiledMetric metric;
      metric.family = &store.family(spec.name);
      // By name, not by a search per label: a metric may have very many constant labels.
      std::map<std::string_view, const config::LabelSpec*> specs_by_name;
      for (const auto& label : spec.labels) specs_by_name.emplace(label.name, &label);
      for (const auto& label_name : metric.family->label_names()) {
        const config::LabelSpec* label = specs_by_name.at(label_name);
        if (label->capture.empty()) {
          metric.labels.emplace_back(std::nullopt);
          metric.constants.push_back(label->constant);
        } else {
          metric.labels.emplace_back(resolve(label->capture, "metric " + spec.name + ": label", spec.line, spec.column));
          metric.constants.emplace_back();
        }
      }
      if (!spec.value.empty()) metric.value = resolve(spec.value, "metric " + spec.name + ": value", spec.line, spec.column);
      metric.value_errors = &self_metrics.value_errors(rule.name, spec.name);
      compiled.metrics.push_back(std::move(metric));
    }
    for (const WindowTarget& target : windows) {
      const config::WindowConfig& spec = *target.config;
      if (spec.rule != rule.name) continue;
      const std::string what = "window " + spec.name + ": ";
      CompiledWindow feed;
      feed.window = target.window;
      for (std::size_t i = 0; i < spec.by.size(); ++i) {
        const auto [line, column] = i < spec.by_positions.size() ? spec.by_positions[i]
                                                                 : std::pair{spec.by_line, spec.by_column};
        feed.by.push_back(resolve(spec.by[i], what + "by", line, column));
      }
      if (!spec.of.empty()) {
        feed.of = resolve(spec.of, what + "of", spec.of_line, spec.of_column);
        feed.numeric_of = spec.agg != config::WindowAgg::kDistinct;
      }
      for (const auto& condition : spec.where) {
        CaptureRef ref = resolve(condition.field, what + "where", condition.line, condition.column);
        auto regex = std::make_unique<RE2>(condition.pattern, regex_options());
        if (!regex->ok())
          fail_at(config, condition.line, condition.column,
                  where + what + "where." + condition.field + ": bad pattern: " + regex->error() + " (expected an RE2 pattern)");
        feed.where.emplace_back(std::move(ref), std::move(regex));
      }
      feed.value_errors = &self_metrics.value_errors(rule.name, spec.name);
      compiled.windows.push_back(std::move(feed));
      has_windows_ = true;
    }
    compiled.matched = &self_metrics.lines_matched(rule.name);
    max_groups = std::max(max_groups, compiled.groups_needed);
    (rule.unmatched ? fallback_rules_ : rules_).push_back(std::move(compiled));
  }

  if (!json && rules_.size() > 1) {
    set_ = std::make_unique<RE2::Set>(regex_options(), RE2::UNANCHORED);
    for (const auto& pattern : expanded_patterns) {
      std::string error;
      if (set_->Add(pattern, &error) < 0)
        fail_at(config, source.line, source.column, "source " + source.name + ": rule set: " + error);
    }
    if (!set_->Compile())
      fail_at(config, source.line, source.column,
              "source " + source.name + ": pattern too large: the match patterns of its rules are too large to "
              "compile together (expected smaller or fewer patterns)");
    candidates_.reserve(rules_.size());
  }
  groups_.resize(static_cast<std::size_t>(std::max(max_groups, 1)));
  label_values_.reserve(16);
  unmatched_ = &self_metrics.lines_unmatched(source.name);
  if (json) json_errors_ = &self_metrics.json_errors(source.name);
  if (!source.multiline_start.empty()) {
    multiline_start_ = std::make_unique<RE2>(source.multiline_start, regex_options());
    if (!multiline_start_->ok())
      fail_at(config, source.multiline_line, source.multiline_column,
              "source " + source.name + ": bad multiline.start: " + multiline_start_->error() +
                  " (expected an RE2 pattern)");
    multiline_timeout_ = source.multiline_timeout;
    max_record_bytes_ = std::max<std::size_t>(source.max_line_bytes * 16, 1 << 20);
  }
}

void SourceMatcher::process(const tail::LineBatch& batch, std::int64_t now_ms) {
  if (batch.lines.empty() || (rules_.empty() && fallback_rules_.empty())) return;
  bool valid = false;
  if (batch.lines_truncated == 0) {
    // Lines are ascending views into one buffer, separated by ASCII line ends: a multibyte
    // sequence cannot straddle two lines and stay valid, so the whole range decides.
    const char* begin = batch.lines.front().data();
    const char* end = batch.lines.back().data() + batch.lines.back().size();
    valid = end >= begin && core::is_valid_utf8(std::string_view(begin, static_cast<std::size_t>(end - begin)));
  }
  process(batch.lines, now_ms, valid, batch.path ? std::string_view(*batch.path) : std::string_view());
}

void SourceMatcher::process(std::span<const std::string_view> lines, std::int64_t now_ms, bool known_valid_utf8,
                            std::string_view file) {
  if (rules_.empty() && fallback_rules_.empty()) return;
  if (has_windows_) wall_now_ = clock_.wall();
  if (multiline_start_) {
    pending_ = &pending_for(file);
    for (auto line : lines)
      add_line(line, now_ms, [&](std::string_view record) { process_record(record, now_ms, false); });
  } else {
    for (auto line : lines) process_record(line, now_ms, known_valid_utf8);
  }
  publish_counts();
}

template <typename Emit>
void SourceMatcher::add_line(std::string_view line, std::int64_t now_ms, Emit&& emit) {
  std::string_view probe = line;
  if (!core::is_valid_utf8(line)) {
    core::repair_utf8_into(line, repaired_);
    probe = repaired_;
  }
  const bool starts_record = RE2::PartialMatch(probe, *multiline_start_);
  Pending& pending = *pending_;
  if (starts_record || !pending.open) {
    if (pending.open) emit(std::string_view(pending.record));
    pending.record.assign(line);
    pending.open = true;
  } else if (pending.record.size() + 1 + line.size() <= max_record_bytes_) {
    pending.record += '\n';
    pending.record.append(line);
  }
  pending.last_line_ms = now_ms;
}

SourceMatcher::Pending& SourceMatcher::pending_for(std::string_view file) {
  auto it = pending_by_file_.find(file);
  if (it == pending_by_file_.end()) it = pending_by_file_.emplace(std::string(file), Pending{}).first;
  return it->second;
}

void SourceMatcher::explain_lines(std::span<const std::string_view> lines,
                                  const std::function<void(std::string_view)>& header, std::ostream& out) {
  for (auto line : lines) {
    if (!multiline_start_) {
      header(line);
      explain(line, 0, out);
      continue;
    }
    pending_ = &pending_for("");
    add_line(line, 0, [&](std::string_view record) {
      header(record);
      explain(record, 0, out);
    });
  }
}

void SourceMatcher::explain_flush(const std::function<void(std::string_view)>& header, std::ostream& out) {
  Pending& pending = pending_for("");
  if (!pending.open) return;
  header(pending.record);
  explain(pending.record, 0, out);
  pending.open = false;
  pending.record.clear();
}

void SourceMatcher::flush_idle(std::int64_t now_ms) {
  if (has_windows_) wall_now_ = clock_.wall();
  bool any = false;
  for (auto it = pending_by_file_.begin(); it != pending_by_file_.end();) {
    Pending& pending = it->second;
    if (pending.open && now_ms - pending.last_line_ms >= multiline_timeout_.count()) {
      process_record(pending.record, now_ms, false);
      any = true;
      it = pending_by_file_.erase(it);  // also forgets files that are gone
    } else {
      ++it;
    }
  }
  if (any) publish_counts();
}

void SourceMatcher::flush(std::int64_t now_ms) {
  if (has_windows_) wall_now_ = clock_.wall();
  for (auto& [file, pending] : pending_by_file_)
    if (pending.open) process_record(pending.record, now_ms, false);
  pending_by_file_.clear();
  publish_counts();
}

std::vector<std::pair<std::string, std::string>> SourceMatcher::pending_records() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [file, pending] : pending_by_file_)
    if (pending.open) out.emplace_back(file, pending.record);
  return out;
}

bool SourceMatcher::has_pending_record() const {
  return std::any_of(pending_by_file_.begin(), pending_by_file_.end(), [](const auto& p) { return p.second.open; });
}

void SourceMatcher::restore_pending_record(const std::string& path, std::string record, std::int64_t now_ms) {
  if (!multiline_start_) return;
  Pending& pending = pending_for(path);
  pending.record = std::move(record);
  pending.open = true;
  pending.last_line_ms = now_ms;
}

std::string_view SourceMatcher::capture(const CaptureRef& ref) const {
  if (ref.group >= 0) {
    const re2::StringPiece& piece = groups_[static_cast<std::size_t>(ref.group)];
    return piece.data() ? std::string_view(piece.data(), piece.size()) : std::string_view();
  }
  return json_ok_ ? json_.find(ref.field) : std::string_view();
}

bool SourceMatcher::match_rule(CompiledRule& rule, std::string_view text) {
  if (!rule.regex) return true;
  std::string_view subject = rule.match_field ? capture(*rule.match_field) : text;
  if (rule.match_field && subject.empty() && json_.find(rule.match_field->field).data() == nullptr) return false;
  return rule.regex->Match(re2::StringPiece(subject.data(), subject.size()), 0, subject.size(), RE2::UNANCHORED,
                           groups_.data(), rule.groups_needed);
}

void SourceMatcher::process_record(std::string_view record, std::int64_t now_ms, bool known_valid_utf8) {
  std::string_view text = record;
  if (!known_valid_utf8 && !core::is_valid_utf8(record)) {
    core::repair_utf8_into(record, repaired_);
    text = repaired_;
  }
  bool any = false;
  if (format_ == config::Format::kJson) {
    json_ok_ = json_.parse(text);
    if (!json_ok_) {
      ++pending_json_errors_;
      ++pending_unmatched_;
      unmatched_samples_.record(text);
      for (auto& rule : fallback_rules_) apply(rule, now_ms);
      return;
    }
    for (auto& rule : rules_) {
      if (!match_rule(rule, text)) continue;
      apply(rule, now_ms);
      any = true;
    }
  } else if (set_) {
    if (set_->Match(re2::StringPiece(text.data(), text.size()), &candidates_)) {
      std::sort(candidates_.begin(), candidates_.end());
      for (int index : candidates_) {
        CompiledRule& rule = rules_[static_cast<std::size_t>(index)];
        if (!match_rule(rule, text)) continue;
        apply(rule, now_ms);
        any = true;
      }
    }
  } else if (!rules_.empty() && match_rule(rules_.front(), text)) {
    apply(rules_.front(), now_ms);
    any = true;
  }
  if (!any) {
    ++pending_unmatched_;
    unmatched_samples_.record(text);
    for (auto& rule : fallback_rules_) apply(rule, now_ms);
  }
}

bool SourceMatcher::metric_value(const CompiledMetric& metric, double& value) const {
  if (!metric.value) return true;  // counters without `value` add 1
  return parse_number(capture(*metric.value), value) &&
         (value >= 0 || metric.family->type() != config::MetricType::kCounter);
}

void SourceMatcher::apply(CompiledRule& rule, std::int64_t now_ms) {
  ++rule.pending_matched;
  std::optional<std::int64_t> event_ns;
  if (rule.timestamp) {
    event_ns = rule.timestamp->parse_unix_nanos(capture(*rule.timestamp_field));
    if (!event_ns) ++rule.pending_timestamp_errors;  // arrival time stands in for the event time
  }
  if (!rule.windows.empty()) feed_windows(rule, event_ns);
  for (auto& metric : rule.metrics) {
    double value = 1;
    if (!metric_value(metric, value)) {
      ++metric.pending_value_errors;
      continue;
    }
    label_values_.clear();
    for (std::size_t i = 0; i < metric.labels.size(); ++i)
      label_values_.push_back(metric.labels[i] ? capture(*metric.labels[i]) : std::string_view(metric.constants[i]));
    metrics::RuleMetric::Series* series = metric.family->resolve(label_values_, now_ms);
    if (series == nullptr) continue;
    switch (metric.family->type()) {
      case config::MetricType::kCounter: metric.family->add(*series, value); break;
      case config::MetricType::kGauge: metric.family->set(*series, value); break;
      case config::MetricType::kHistogram:
      case config::MetricType::kSummary: metric.family->observe(*series, value); break;
    }
  }
}

void SourceMatcher::feed_windows(CompiledRule& rule, std::optional<std::int64_t> event_ns) {
  for (CompiledWindow& feed : rule.windows) {
    bool selected = true;
    for (const auto& [ref, regex] : feed.where) {
      const std::string_view value = capture(ref);
      if (!RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *regex)) {
        selected = false;
        break;
      }
    }
    if (!selected) continue;
    window_labels_.clear();
    for (const auto& ref : feed.by) window_labels_.push_back(capture(ref));
    window::Sample sample{.labels = window_labels_};
    if (feed.of) {
      const std::string_view of = capture(*feed.of);
      if (!feed.numeric_of) {
        sample.key = of;
      } else if (!parse_number(of, sample.value)) {
        ++feed.pending_value_errors;
        continue;
      }
    }
    if (!event_ns) {
      feed.window->add(sample, wall_now_);
      continue;
    }
    const window::WallTime at{std::chrono::duration_cast<window::WallTime::duration>(std::chrono::nanoseconds(*event_ns))};
    // In event time the window's present is the latest event time it was given (it keeps
    // the highest `now`), so an archive's windows slide as its lines did.
    feed.window->add(sample, at, window_time_ == WindowTime::kEventTime ? at : wall_now_);
  }
}

void SourceMatcher::publish_counts() {
  // Bad input is counted, and said in the log at most once a minute per kind.
  auto report = [this](const std::string& key, std::uint64_t count, const char* what, const std::string& where) {
    if (throttle_.allow(key))
      spdlog::warn("source {}: {} {} ({}; logged at most once a minute)", source_name_, count, what, where);
  };
  if (pending_unmatched_) unmatched_->Increment(static_cast<double>(std::exchange(pending_unmatched_, 0)));
  if (pending_json_errors_) {
    report("json", pending_json_errors_, "line(s) not a JSON object", "logpulse_json_errors_total");
    json_errors_->Increment(static_cast<double>(std::exchange(pending_json_errors_, 0)));
  }
  for (auto* rules : {&rules_, &fallback_rules_}) for (auto& rule : *rules) {
    if (rule.pending_matched) rule.matched->Increment(static_cast<double>(std::exchange(rule.pending_matched, 0)));
    if (rule.pending_timestamp_errors) {
      report("ts:" + rule.name, rule.pending_timestamp_errors, "event time(s) that do not fit the layout, arrival time used",
             "rule " + rule.name + ", logpulse_timestamp_errors_total");
      rule.timestamp_errors->Increment(static_cast<double>(std::exchange(rule.pending_timestamp_errors, 0)));
    }
    for (auto& feed : rule.windows) {
      if (!feed.pending_value_errors) continue;
      report("value:" + rule.name + ":" + feed.window->spec().name, feed.pending_value_errors,
             "value(s) that are not a number, not added to the window",
             "rule " + rule.name + ", window " + feed.window->spec().name + ", logpulse_value_errors_total");
      feed.value_errors->Increment(static_cast<double>(std::exchange(feed.pending_value_errors, 0)));
    }
    for (auto& metric : rule.metrics) {
      if (!metric.pending_value_errors) continue;
      report("value:" + rule.name + ":" + metric.family->name(), metric.pending_value_errors,
             "value(s) that are not a usable number, update skipped",
             "rule " + rule.name + ", metric " + metric.family->name() + ", logpulse_value_errors_total");
      metric.value_errors->Increment(static_cast<double>(std::exchange(metric.pending_value_errors, 0)));
    }
  }
}

void SourceMatcher::explain(std::string_view line, std::int64_t now_ms, std::ostream& out) {
  std::string_view text = line;
  std::string repaired;
  if (!core::is_valid_utf8(line)) {
    repaired = core::repair_utf8(line);
    text = repaired;
    out << "  (not valid UTF-8: stray bytes read as U+FFFD)\n";
  }
  if (format_ == config::Format::kJson) {
    json_ok_ = json_.parse(text);
    if (!json_ok_) {
      out << "  no rule matched: not a JSON object (" << json_.error() << ")\n";
      return;
    }
  }
  bool any = false;
  for (auto& rule : rules_) {
    if (rule.match_field && json_.find(rule.match_field->field).data() == nullptr) {
      out << "  rule " << rule.name << ": no match (field '" << rule.match_field->field << "' is absent)\n";
      continue;
    }
    // All groups, for display.
    std::vector<re2::StringPiece> all(rule.regex ? rule.regex->NumberOfCapturingGroups() + 1 : 1);
    bool matched = true;
    if (rule.regex) {
      std::string_view subject = rule.match_field ? json_.find(rule.match_field->field) : text;
      matched = rule.regex->Match(re2::StringPiece(subject.data(), subject.size()), 0, subject.size(),
                                  RE2::UNANCHORED, all.data(), static_cast<int>(all.size()));
    }
    if (!matched) {
      out << "  rule " << rule.name << ": no match\n";
      continue;
    }
    any = true;
    out << "  rule " << rule.name << ": matched";
    if (rule.regex) {
      for (const auto& [name, index] : rule.regex->NamedCapturingGroups()) {
        const auto& piece = all[static_cast<std::size_t>(index)];
        out << ' ' << name << "=\"" << core::json_escape(std::string_view(piece.data() ? piece.data() : "", piece.size()))
            << '"';
      }
    } else {
      for (const auto& field : json_.fields()) out << ' ' << field.name << "=\"" << core::json_escape(field.value) << '"';
    }
    out << '\n';
    std::copy(all.begin(), all.begin() + std::min(all.size(), groups_.size()), groups_.begin());
    for (std::size_t i = 0; i < rule.metrics.size(); ++i) {
      const auto& metric = rule.metrics[i];
      double value = 1;
      if (!metric_value(metric, value)) {
        out << "    " << metric.family->name() << ": value '" << core::json_escape(capture(*metric.value))
            << "' is not a usable number: skipped\n";
      }
    }
    if (rule.timestamp && !rule.timestamp->parse_unix_nanos(capture(*rule.timestamp_field)))
      out << "    timestamp '" << core::json_escape(capture(*rule.timestamp_field))
          << "' does not fit the layout: arrival time used\n";
  }
  if (!any) {
    out << "  no rule matched";
    for (const auto& rule : fallback_rules_) out << "; counted by rule " << rule.name;
    out << '\n';
  }
  (void)now_ms;
}

}  // namespace logpulse::match
