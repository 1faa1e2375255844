#include "pipeline/rule_pipeline.h"

#include <spdlog/spdlog.h>

namespace logpulse::pipeline {

RulePipeline::RulePipeline(const config::Config& config, metrics::SelfMetrics& self_metrics)
    : config_(config), store_(std::make_shared<metrics::MetricStore>(config, self_metrics.series_dropped())) {
  for (const auto& source : config.sources)
    matchers_.push_back(std::make_unique<match::SourceMatcher>(config, source, *store_, self_metrics));
}

tail::CheckpointState RulePipeline::save() const {
  tail::CheckpointState state;
  state.metric_lines = store_->save();
  // Keyed "source\npath": a source name holds no newline.
  for (std::size_t i = 0; i < matchers_.size(); ++i)
    for (auto& [path, record] : matchers_[i]->pending_records())
      state.pending_records.emplace_back(config_.sources[i].name + "\n" + path, std::move(record));
  return state;
}

void RulePipeline::restore(const tail::CheckpointState& state, std::int64_t now_ms) {
  std::size_t rejected = store_->restore(state.metric_lines, now_ms);
  if (rejected > 0)
    spdlog::warn("{} checkpointed metric lines no longer fit the configuration (metric changed): not restored",
                 rejected);
  for (const auto& [key, record] : state.pending_records) {
    const auto newline = key.find('\n');
    const std::string source = key.substr(0, newline);
    const std::string path = newline == std::string::npos ? "" : key.substr(newline + 1);
    for (std::size_t i = 0; i < config_.sources.size(); ++i)
      if (config_.sources[i].name == source) matchers_[i]->restore_pending_record(path, record, now_ms);
  }
}

}  // namespace logpulse::pipeline
