#include "pipeline/follow_metrics.h"

#include "core/text_escape.h"

namespace logpulse::pipeline {

namespace {
// Adds to `counter` what `now` holds beyond what was published.
void advance(prometheus::Counter& counter, const std::atomic<std::uint64_t>& now, std::uint64_t& published) {
  const std::uint64_t value = now.load(std::memory_order_relaxed);
  if (value > published) counter.Increment(static_cast<double>(value - published));
  published = value;
}
}  // namespace

core::SourceCounters& FollowMetrics::for_source(const std::string& source) {
  std::lock_guard lock(mutex_);
  auto& entry = sources_[source];
  if (!entry) {
    entry = std::make_unique<Source>();
    entry->metrics = self_metrics_.for_source(source);
  }
  return entry->counters;
}

void FollowMetrics::publish() const {
  std::lock_guard lock(mutex_);
  for (const auto& [name, source] : sources_) {
    const core::SourceCounters& c = source->counters;
    metrics::SourceMetrics& m = *source->metrics;
    Published& p = source->published;
    advance(m.lines_read, c.lines_read, p.lines_read);
    advance(m.bytes_read, c.bytes_read, p.bytes_read);
    advance(m.lines_truncated, c.lines_truncated, p.lines_truncated);
    advance(m.nul_bytes_skipped, c.nul_bytes_skipped, p.nul_bytes_skipped);
    advance(m.read_errors, c.read_errors, p.read_errors);
    advance(m.rotations, c.rotations, p.rotations);
    advance(m.truncations, c.truncations, p.truncations);
    m.files_followed.Set(static_cast<double>(c.files_followed.load(std::memory_order_relaxed)));

    // By label value: paths that differ only in invalid UTF-8 share one series.
    std::map<std::string, std::uint64_t> lag;
    for (const auto& [path, bytes] : c.lag_snapshot()) lag[core::repair_utf8(path)] += bytes;
    for (auto it = p.lag.begin(); it != p.lag.end();) {
      if (lag.count(it->first)) {
        ++it;
        continue;
      }
      m.forget_lag(*it->second);
      it = p.lag.erase(it);
    }
    for (const auto& [path, bytes] : lag) {
      auto& gauge = p.lag[path];
      if (gauge == nullptr) gauge = &m.lag_for(path);
      gauge->Set(static_cast<double>(bytes));
    }
  }
}

std::vector<prometheus::MetricFamily> FollowMetrics::Collect() const {
  publish();
  return registry_->Collect();
}

}  // namespace logpulse::pipeline
