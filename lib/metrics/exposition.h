// Exposition: renders a prometheus-cpp registry as Prometheus text format 0.0.4, and gzips
// a payload for scrapers that accept it. Collect() takes the families' locks briefly; the
// updates on the ingestion thread are atomics and are not stopped. Safe for concurrent use.
#pragma once

#include <prometheus/collectable.h>

#include <string>
#include <string_view>
#include <vector>

namespace logpulse::metrics {

inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// The families of every collectable, in order (the self-metrics registry, the rule metrics).
std::string render_text(const std::vector<const prometheus::Collectable*>& collectables);
std::string gzip(std::string_view data);

}  // namespace logpulse::metrics
