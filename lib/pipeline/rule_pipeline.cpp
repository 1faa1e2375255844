#include "pipeline/rule_pipeline.h"

#include <spdlog/spdlog.h>

#include "alert/definition_error.h"
#include "config/config_loader.h"

namespace logpulse::pipeline {

namespace {

alert::ScalarPosition position(const std::string& file, int line, int column, char quote) {
  return alert::ScalarPosition{file, line, column,
                               quote == '"'    ? alert::ScalarStyle::kDoubleQuoted
                               : quote == '\'' ? alert::ScalarStyle::kSingleQuoted
                                               : alert::ScalarStyle::kPlain};
}

// An alerts: entry as the alert compiler takes it; errors keep the file's positions.
alert::AlertRule compile_alert(const config::Config& config, const config::AlertConfig& entry,
                               const std::vector<alert::WindowShape>& shapes) {
  alert::RuleDefinition definition;
  definition.name = entry.name;
  definition.expr = entry.expr;
  definition.expr_at = position(config.file, entry.expr_line, entry.expr_column, entry.expr_quote);
  definition.for_duration = entry.for_duration;
  definition.keep_firing_for = entry.keep_firing_for;
  definition.labels = entry.labels;
  for (const auto& annotation : entry.annotations)
    definition.annotations.push_back(
        {annotation.name, annotation.text, position(config.file, annotation.line, annotation.column, annotation.quote)});
  try {
    return alert::AlertRule::compile(definition, shapes);
  } catch (const alert::DefinitionError& e) {
    throw config::ConfigError(e.what());
  }
}

}  // namespace

RulePipeline::RulePipeline(const config::Config& config, metrics::SelfMetrics& self_metrics, const core::Clock& clock)
    : config_(config),
      store_(std::make_shared<metrics::MetricStore>(config, self_metrics.series_dropped())),
      windows_(config) {
  for (const auto& source : config.sources)
    matchers_.push_back(std::make_unique<match::SourceMatcher>(config, source, *store_, self_metrics,
                                                               windows_.targets(), clock));
  const auto shapes = windows_.shapes();
  for (const auto& entry : config.alerts) alert_rules_.push_back(compile_alert(config, entry, shapes));
}

tail::CheckpointState RulePipeline::save() const {
  tail::CheckpointState state;
  state.metric_lines = store_->save();
  // Keyed "source\npath": a source name holds no newline.
  for (std::size_t i = 0; i < matchers_.size(); ++i)
    for (auto& [path, record] : matchers_[i]->pending_records())
      state.pending_records.emplace_back(config_.sources[i].name + "\n" + path, std::move(record));
  state.windows = windows_.save();
  return state;
}

void RulePipeline::restore(const tail::CheckpointState& state, std::int64_t now_ms) {
  std::size_t rejected = store_->restore(state.metric_lines, now_ms);
  if (rejected > 0)
    spdlog::warn("{} checkpointed metric lines no longer fit the configuration (metric changed): not restored",
                 rejected);
  if (std::size_t refused = windows_.restore(state.windows); refused > 0)
    spdlog::warn("{} checkpointed window(s) no longer fit the configuration (window changed): they start empty",
                 refused);
  for (const auto& [key, record] : state.pending_records) {
    const auto newline = key.find('\n');
    const std::string source = key.substr(0, newline);
    const std::string path = newline == std::string::npos ? "" : key.substr(newline + 1);
    for (std::size_t i = 0; i < config_.sources.size(); ++i)
      if (config_.sources[i].name == source) matchers_[i]->restore_pending_record(path, record, now_ms);
  }
}

}  // namespace logpulse::pipeline
