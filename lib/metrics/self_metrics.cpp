#include "metrics/self_metrics.h"

namespace logpulse::metrics {

namespace {
prometheus::Family<prometheus::Counter>& counter(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Gauge>& gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
}  // namespace

SelfMetrics::SelfMetrics(prometheus::Registry& registry)
    : lines_read_(counter(registry, "logpulse_lines_read_total",
                          "Complete lines delivered from a source's files (a cut line counts once).")),
      bytes_read_(counter(registry, "logpulse_bytes_read_total",
                          "Bytes of the delivered lines, line ends and cut-off parts included.")),
      lines_truncated_(counter(registry, "logpulse_lines_truncated_total",
                               "Lines longer than max_line_bytes, cut there.")),
      rotations_(counter(registry, "logpulse_rotations_total",
                         "Times a followed path was found to name another file (rotation).")),
      truncations_(counter(registry, "logpulse_truncations_total",
                           "Times a followed file was truncated or rewritten in place.")),
      files_followed_(gauge(registry, "logpulse_files_followed", "Files currently open for a source.")),
      file_lag_(gauge(registry, "logpulse_file_lag_bytes",
                      "Bytes written to a followed file but not yet processed.")),
      checkpoint_age_(gauge(registry, "logpulse_checkpoint_age_seconds",
                            "Seconds since the last checkpoint was written.")
                          .Add({})) {
  gauge(registry, "logpulse_build_info", "logpulse build information.")
      .Add({{"version", LOGPULSE_VERSION}})
      .Set(1);
}

std::unique_ptr<SourceMetrics> SelfMetrics::for_source(const std::string& source) {
  const prometheus::Labels labels{{"source", source}};
  return std::unique_ptr<SourceMetrics>(new SourceMetrics{
      source, lines_read_.Add(labels), bytes_read_.Add(labels), lines_truncated_.Add(labels),
      rotations_.Add(labels), truncations_.Add(labels), files_followed_.Add(labels), file_lag_});
}

}  // namespace logpulse::metrics
