#include "remote/remote_write_metrics.h"

namespace logpulse::remote {

EndpointMetrics endpoint_metrics(prometheus::Registry& registry, const std::string& url) {
  // Registry::Add returns the family already registered under a name, so every URL shares
  // the three families.
  auto& samples = prometheus::BuildCounter()
                      .Name("logpulse_remote_write_samples_total")
                      .Help("Remote-write samples per outcome: sent (2xx), failed (refused with a 4xx, not "
                            "retried), dropped (pushed out of a full queue), retried (in a failed attempt that "
                            "is retried).")
                      .Register(registry);
  auto& queue = prometheus::BuildGauge()
                    .Name("logpulse_remote_write_queue_samples")
                    .Help("Remote-write samples queued (in memory and on disk) for a URL.")
                    .Register(registry);
  auto& last = prometheus::BuildGauge()
                   .Name("logpulse_remote_write_last_success_timestamp_seconds")
                   .Help("When a remote-write batch was last delivered to a URL (Unix seconds).")
                   .Register(registry);
  return EndpointMetrics{samples.Add({{"url", url}, {"outcome", "sent"}}),
                        samples.Add({{"url", url}, {"outcome", "failed"}}),
                        samples.Add({{"url", url}, {"outcome", "dropped"}}),
                        samples.Add({{"url", url}, {"outcome", "retried"}}),
                        queue.Add({{"url", url}}),
                        last.Add({{"url", url}})};
}

}  // namespace logpulse::remote
