// snapshot_series: what logpulse exposes on /metrics at one instant, as remote-write
// samples. Each prometheus-cpp family becomes the series Prometheus' text format names:
// counters, gauges and untyped one series each; histograms <name>_bucket{le} (cumulative,
// +Inf last), <name>_sum and <name>_count; summaries <name>{quantile}, <name>_sum and
// <name>_count. `le` and `quantile` are printed as /metrics prints them (shortest
// round-trip decimal, +Inf). External labels are added to every series unless the series
// already has a label of that name (the series' own wins, as in Prometheus).
//
//   std::vector<remote::Series> out;
//   for (auto& c : collectables) remote::append_series(out, c->Collect(), external, now_ms);
//
// Pure functions: safe for concurrent use.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <vector>

#include "remote/series.h"

namespace logpulse::remote {

// Appends one series per sample of `families`, all at `timestamp_ms`. `external_labels`
// must be sorted by name.
void append_series(std::vector<Series>& out, const std::vector<prometheus::MetricFamily>& families,
                   const Labels& external_labels, std::int64_t timestamp_ms);

}  // namespace logpulse::remote
