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
      nul_bytes_skipped_(counter(registry, "logpulse_nul_bytes_skipped_total",
                                 "NUL bytes skipped where lines start (holes left by copytruncate).")),
      read_errors_(counter(registry, "logpulse_read_errors_total",
                           "Failed reads or stats of followed files (the file is retried).")),
      rescans_(counter(registry, "logpulse_rescans_total",
                       "Directory looks completed: the globs expanded and the files beside followed paths listed.")),
      files_followed_(gauge(registry, "logpulse_files_followed", "Files currently open for a source.")),
      file_lag_(gauge(registry, "logpulse_file_lag_bytes",
                      "Bytes written to a followed file but not yet processed.")),
      checkpoint_age_(gauge(registry, "logpulse_checkpoint_age_seconds",
                            "Seconds since the last checkpoint was written.")
                          .Add({})),
      checkpoint_errors_(counter(registry, "logpulse_checkpoint_errors_total",
                                 "Checkpoints that could not be written (the previous one stays).")
                             .Add({})),
      alert_notifications_(counter(registry, "logpulse_alert_notifications_total",
                                   "Alerts in POSTs to Alertmanager, per URL attempt: sent (2xx), failed "
                                   "(error, timeout or non-2xx), dropped (pushed out of a full queue).")),
      alerts_(gauge(registry, "logpulse_alerts", "Alerts per state (pending, firing).")),
      window_late_(counter(registry, "logpulse_window_late_total",
                           "Records older than their window (by event time), dropped.")),
      lines_matched_(counter(registry, "logpulse_lines_matched_total", "Lines (records) a rule matched.")),
      lines_unmatched_(counter(registry, "logpulse_lines_unmatched_total", "Lines (records) no rule matched.")),
      value_errors_(counter(registry, "logpulse_value_errors_total",
                            "Matches whose value capture was not a number (the update was skipped).")),
      timestamp_errors_(counter(registry, "logpulse_timestamp_errors_total",
                                "Event times that did not parse (arrival time was used).")),
      json_errors_(counter(registry, "logpulse_json_errors_total", "Lines of a json source that were not a JSON object.")),
      series_dropped_(counter(registry, "logpulse_series_dropped_total",
                              "Updates refused because the metric had max_series label sets.")) {
  gauge(registry, "logpulse_build_info", "logpulse build information.")
      .Add({{"version", LOGPULSE_VERSION}})
      .Set(1);
}

std::unique_ptr<SourceMetrics> SelfMetrics::for_source(const std::string& source) {
  const prometheus::Labels labels{{"source", source}};
  return std::unique_ptr<SourceMetrics>(new SourceMetrics{
      source, lines_read_.Add(labels), bytes_read_.Add(labels), lines_truncated_.Add(labels),
      rotations_.Add(labels), truncations_.Add(labels), nul_bytes_skipped_.Add(labels), read_errors_.Add(labels),
      rescans_.Add(labels), files_followed_.Add(labels), file_lag_});
}

}  // namespace logpulse::metrics
