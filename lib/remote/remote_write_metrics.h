// RemoteWriteMetrics: remote write's self-metrics (names fixed by SPEC.md), one handle set
// per URL, resolved once at start-up:
//   logpulse_remote_write_samples_total{url,outcome}  sent | failed | dropped | retried
//   logpulse_remote_write_queue_samples{url}
//   logpulse_remote_write_last_success_timestamp_seconds{url}
// Updates are prometheus-cpp atomics: safe from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

namespace logpulse::remote {

struct EndpointMetrics {
  prometheus::Counter& sent;      // delivered (2xx)
  prometheus::Counter& failed;    // refused for good (4xx other than 429): not retried
  prometheus::Counter& dropped;   // pushed out of a full queue
  prometheus::Counter& retried;   // in attempts that failed and are retried (each attempt)
  prometheus::Gauge& queue_samples;
  prometheus::Gauge& last_success;  // Unix seconds of the last delivered batch; 0: none yet
};

EndpointMetrics endpoint_metrics(prometheus::Registry& registry, const std::string& url);

}  // namespace logpulse::remote
