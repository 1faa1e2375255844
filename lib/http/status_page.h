// The status page (GET /): plain HTML with inline CSS and SVG, no JavaScript, no external
// assets, refreshed by the browser every 5 s. Per source: lines read, rate, matched share,
// a chart of lines per second over the last 15 minutes, its files, its rules (lines matched
// and their rate) and the last lines no rule matched; then every alert with its state, and
// every window's current values (at most kMaxWindowRows label sets per window).
//
//   std::string html = render_status_page({board.snapshot(), board.ready(), windows.get(),
//                                          alerts, alert_rules});
//
// Everything that comes from the configuration or the logs is HTML-escaped, so the page's
// markup does not depend on it (tests/fuzz/http_request_fuzz.cpp checks that). A pure
// function, safe for concurrent use.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "alert/rule_state.h"
#include "pipeline/status_board.h"
#include "pipeline/window_set.h"

namespace logpulse::http {

// Label sets shown per window; the rest are counted ("and N more").
inline constexpr std::size_t kMaxWindowRows = 20;

struct StatusPageInput {
  std::vector<pipeline::SourceStatus> sources;
  bool ready = false;
  const pipeline::WindowSnapshot* windows = nullptr;  // null: no windows evaluated
  std::vector<alert::Alert> alerts;                   // pending and firing
  std::size_t alert_rules = 0;                        // alert rules evaluated
};

std::string render_status_page(const StatusPageInput& input);

// The rate chart alone: an inline <svg class="rate-chart"> with a polyline of one point per
// value (lines per second, oldest first), the newest at the right edge.
std::string rate_chart_svg(const std::vector<double>& rates);

}  // namespace logpulse::http
