#include "http/status_page.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "alert/value_format.h"
#include "core/text_escape.h"

namespace logpulse::http {
namespace {

using pipeline::StatusBoard;

constexpr const char* kChartLabel = "lines per second, last 15 minutes";
// The chart's drawing area, in SVG user units (its CSS size is the same).
constexpr double kChartWidth = 360;
constexpr double kChartHeight = 64;
constexpr double kChartTop = 14;  // room for the scale's label

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) value /= 1024, ++unit;
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

std::string fixed(double value, int digits) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

// "5m", "1h", "90s", "1d", "250ms": a window's `over` as the configuration writes it.
std::string duration_text(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  struct Unit {
    std::int64_t ms;
    const char* suffix;
  };
  for (const Unit unit : {Unit{86'400'000, "d"}, Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1'000, "s"}})
    if (ms != 0 && ms % unit.ms == 0) return std::to_string(ms / unit.ms) + unit.suffix;
  return std::to_string(ms) + "ms";
}

// RFC 3339 in UTC to the second, "2026-01-01T00:00:00Z"; "" for the unset (epoch) time.
std::string rfc3339_seconds(alert::WallTime t) {
  if (t == alert::WallTime{}) return "";
  const std::time_t seconds = std::chrono::system_clock::to_time_t(
      std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

void rules_table(std::string& out, const pipeline::SourceStatus& source) {
  if (source.rules.empty()) return;
  out += "<table class=\"rules\"><tr><th>rule</th><th>lines matched</th><th>lines/s</th><th>of lines read</th></tr>";
  for (const auto& rule : source.rules) {
    out += "<tr><td>" + core::html_escape(rule.name) + "</td><td class=n>" + std::to_string(rule.lines_matched) +
           "</td><td class=n>" + fixed(rule.matched_per_second, 1) + "</td><td class=n>";
    if (source.lines_read > 0)
      out += fixed(100.0 * static_cast<double>(std::min(rule.lines_matched, source.lines_read)) /
                       static_cast<double>(source.lines_read),
                   1) +
             "%";
    out += "</td></tr>";
  }
  out += "</table>";
}

void unmatched_list(std::string& out, const pipeline::SourceStatus& source) {
  if (source.unmatched_samples.empty()) return;
  out += "<h3>Last " + std::to_string(source.unmatched_samples.size()) +
         " line(s) no rule matched</h3><ol class=\"unmatched\">";
  for (const auto& line : source.unmatched_samples) {
    out += "<li><code>" + core::html_escape(line.text) + "</code>";
    if (line.bytes > line.text.size())
      out += " <span class=cut>(cut: " + std::to_string(line.bytes) + " bytes)</span>";
    out += "</li>";
  }
  out += "</ol>";
}

void source_section(std::string& out, const pipeline::SourceStatus& source) {
  out += "<h2>source " + core::html_escape(source.name) + "</h2><p>" + std::to_string(source.lines_read) +
         " lines (" + human_bytes(source.bytes_read) + ") read, " + fixed(source.lines_per_second, 1) + " lines/s, ";
  if (source.has_rules && source.lines_read > 0) {
    out += fixed(100.0 * static_cast<double>(source.lines_read - std::min(source.lines_read, source.lines_unmatched)) /
                     static_cast<double>(source.lines_read),
                 1) +
           "% matched, ";
  }
  out += "watcher: " + source.watcher + ", " + std::to_string(source.files.size()) + " file(s)</p>";
  out += rate_chart_svg(source.rate_history);
  out += "<table><tr><th>file</th><th>state</th><th>offset</th><th>size</th><th>lag</th></tr>";
  for (const auto& file : source.files) {
    const std::string state = file.state;
    out += "<tr class=\"" + state + "\"><td>" + core::html_escape(file.path) + "</td><td>" + state +
           "</td><td class=n>" + std::to_string(file.offset) + "</td><td class=n>" + human_bytes(file.size) +
           "</td><td class=n>" + human_bytes(file.lag) + "</td></tr>";
  }
  out += "</table>";
  rules_table(out, source);
  unmatched_list(out, source);
}

std::string labels_text(const alert::Labels& labels, std::string_view skip) {
  std::string out;
  for (const auto& label : labels) {
    if (label.first == skip) continue;
    if (!out.empty()) out += ", ";
    out += core::html_escape(label.first) + "=\"" + core::html_escape(label.second) + "\"";
  }
  return out;
}

void alerts_section(std::string& out, const StatusPageInput& input) {
  if (input.alerts.empty() && input.alert_rules == 0) return;
  out += "<h2>Alerts</h2>";
  if (input.alerts.empty()) {
    out += "<p>None pending or firing (" + std::to_string(input.alert_rules) + " alert rule(s)).</p>";
    return;
  }
  // Firing first, then pending; the evaluator's order (by rule, then labels) within each.
  std::vector<const alert::Alert*> alerts;
  for (const auto& alert : input.alerts) alerts.push_back(&alert);
  std::stable_sort(alerts.begin(), alerts.end(), [](const alert::Alert* a, const alert::Alert* b) {
    return (a->state == alert::AlertState::kFiring) > (b->state == alert::AlertState::kFiring);
  });
  out += "<table class=\"alerts\"><tr><th>alert</th><th>labels</th><th>state</th><th>active since</th>"
         "<th>value</th><th>annotations</th></tr>";
  for (const alert::Alert* alert : alerts) {
    std::string_view name;
    for (const auto& label : alert->labels)
      if (label.first == "alertname") name = label.second;
    const std::string_view state = alert::state_name(alert->state);
    out += "<tr class=\"" + std::string(state) + "\"><td>" + core::html_escape(name) + "</td><td>" +
           labels_text(alert->labels, "alertname") + "</td><td>" + std::string(state);
    if (alert->keep_firing_since != alert::WallTime{})
      out += " (condition cleared " + rfc3339_seconds(alert->keep_firing_since) + ")";
    out += "</td><td>" + rfc3339_seconds(alert->active_at) + "</td><td class=n>" +
           alert::format_value_template(alert->value) + "</td><td>";
    for (const auto& annotation : alert->annotations)
      out += "<div><b>" + core::html_escape(annotation.first) + ":</b> " + core::html_escape(annotation.second) +
             "</div>";
    out += "</td></tr>";
  }
  out += "</table>";
}

void windows_section(std::string& out, const pipeline::WindowSnapshot* snapshot) {
  if (snapshot == nullptr || snapshot->windows().empty()) return;
  out += "<h2>Windows</h2><p>As evaluated at " + rfc3339_seconds(snapshot->at()) + ".</p>";
  for (const pipeline::WindowValues& window : snapshot->windows()) {
    const bool quantile = window.agg == config::WindowAgg::kQuantile;
    out += "<h3>" + core::html_escape(window.name) + "</h3><p>" + config::agg_name(window.agg) + " over " +
           duration_text(window.over) + " of rule " + core::html_escape(window.rule);
    if (window.late) out += ", " + std::to_string(window.late) + " late line(s) dropped";
    if (window.dropped) out += ", " + std::to_string(window.dropped) + " line(s) of label sets beyond max_series dropped";
    out += "</p>";
    if (window.series.empty()) {
      out += "<p>No lines in the window.</p>";
      continue;
    }
    out += "<table class=\"window\"><tr>";
    for (const auto& label : window.by) out += "<th>" + core::html_escape(label) + "</th>";
    if (quantile) out += "<th>quantile</th>";
    out += "<th>value</th></tr>";
    const std::size_t shown = std::min(window.series.size(), kMaxWindowRows);
    for (std::size_t i = 0; i < shown; ++i) {
      const pipeline::WindowSeries& series = window.series[i];
      out += "<tr>";
      for (std::size_t l = 0; l < window.by.size(); ++l)
        out += "<td>" + (l < series.labels.size() ? core::html_escape(series.labels[l]) : std::string()) + "</td>";
      if (quantile) out += "<td class=n>" + alert::format_value_template(series.quantile) + "</td>";
      out += "<td class=n>" + alert::format_value_template(series.value) + "</td></tr>";
    }
    out += "</table>";
    if (shown < window.series.size())
      out += "<p>and " + std::to_string(window.series.size() - shown) + " more (all on <a href=\"/metrics\">/metrics</a>)</p>";
  }
}

}  // namespace

std::string rate_chart_svg(const std::vector<double>& rates) {
  const std::size_t points = StatusBoard::kRatePoints;
  const double peak = rates.empty() ? 0 : *std::max_element(rates.begin(), rates.end());
  const double scale = peak > 0 ? peak : 1;
  const std::string width = fixed(kChartWidth, 0), height = fixed(kChartHeight, 0);
  std::string out = "<figure class=\"rate\"><svg class=\"rate-chart\" role=\"img\" aria-label=\"";
  out += kChartLabel;
  out += "\" width=\"" + width + "\" height=\"" + height + "\" viewBox=\"0 0 " + width + " " + height +
         "\" xmlns=\"http://www.w3.org/2000/svg\"><title>";
  out += kChartLabel;
  out += "</title><rect x=\"0\" y=\"0\" width=\"" + width + "\" height=\"" + height +
         "\" fill=\"#fafafa\" stroke=\"#ddd\"/>";
  // The scale's top: the highest point of the last 15 minutes.
  out += "<text x=\"4\" y=\"11\" font-size=\"10\" fill=\"#666\">max " + fixed(peak, 1) + " lines/s</text>";
  if (rates.empty()) {
    out += "<text x=\"" + fixed(kChartWidth / 2, 0) + "\" y=\"" + fixed((kChartHeight + kChartTop) / 2, 0) +
           "\" font-size=\"10\" fill=\"#999\" text-anchor=\"middle\">collecting: a point every " +
           std::to_string(StatusBoard::kRateStep.count()) + " s</text>";
  } else {
    // Newest at the right edge; one step between points, so the chart's width is always
    // the last 15 minutes.
    const double step = (kChartWidth - 2) / static_cast<double>(points - 1);
    const double base = kChartHeight - 2, span = kChartHeight - 2 - kChartTop;
    const std::size_t first = points - std::min(rates.size(), points);
    std::string x, y;
    out += "<polyline fill=\"none\" stroke=\"#2a6db0\" stroke-width=\"1.5\" points=\"";
    for (std::size_t i = 0; i < rates.size() && i < points; ++i) {
      if (i) out += ' ';
      x = fixed(1 + static_cast<double>(first + i) * step, 1);
      y = fixed(base - std::max(0.0, rates[i]) / scale * span, 1);
      out += x + "," + y;
    }
    out += "\"/>";
    // The newest point as a dot, so that the first one shows too.
    out += "<circle cx=\"" + x + "\" cy=\"" + y + "\" r=\"2\" fill=\"#2a6db0\"/>";
  }
  out += "</svg><figcaption>lines/s over the last 15 min, one point per " +
         std::to_string(StatusBoard::kRateStep.count()) + " s; latest " + fixed(rates.empty() ? 0 : rates.back(), 1) +
         "</figcaption></figure>";
  return out;
}

std::string render_status_page(const StatusPageInput& input) {
  std::string out =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>logpulse</title>"
      "<meta http-equiv=\"refresh\" content=\"5\">"
      "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}"
      "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}"
      "td.n{text-align:right;font-variant-numeric:tabular-nums}.draining{color:#a60}"
      "tr.firing td{background:#fde8e8}tr.pending td{background:#fff6dd}"
      "figure.rate{margin:0 0 1em 0}figcaption{font-size:.8em;color:#666}"
      "ol.unmatched{font-size:.95em}ol.unmatched code{white-space:pre-wrap;word-break:break-all}"
      ".cut{color:#a60}</style></head><body>"
      "<h1>logpulse " LOGPULSE_VERSION "</h1><p>";
  out += input.ready ? "Ready." : "Starting: discovering files.";
  out += " <a href=\"/metrics\">/metrics</a> · <a href=\"/api/v1/sources\">/api/v1/sources</a>"
         " · <a href=\"/api/v1/alerts\">/api/v1/alerts</a></p>";
  alerts_section(out, input);
  for (const auto& source : input.sources) source_section(out, source);
  windows_section(out, input.windows);
  out += "</body></html>\n";
  return out;
}

}  // namespace logpulse::http
