// Replay (`--once`): reads every file of every source (or the given logs) from the start to
// its current end, through the same reader as the daemon, and returns. A progress line is
// drawn on `progress` (stderr when it is a terminal) when non-null. Control plane: throws
// only on unusable arguments; unreadable files are reported and skipped.
#pragma once

#include <cstdio>
#include <iosfwd>
#include <string>
#include <vector>

#include "config/config.h"
#include "metrics/self_metrics.h"
#include "pipeline/rule_pipeline.h"

namespace logpulse::pipeline {

struct ReplayResult {
  std::uint64_t files = 0;
  std::uint64_t lines = 0;
  std::uint64_t bytes = 0;
  std::uint64_t unreadable_files = 0;
};

// Lines go through `rules` (metrics update) or, with `explain` set, are explained there
// instead, one block per line. With `threads` > 1, large inputs are cut at line boundaries
// into that many consecutive parts, each matched on its own thread with its own copy of the
// rules, and the parts' metrics are merged into `rules` in input order (counters and
// histograms add, a gauge keeps the last value), which gives the sequential result. Inputs
// with multiline sources or summaries, and --explain, run on one thread.
ReplayResult replay(const config::Config& config, const std::vector<std::string>& logs,
                    metrics::SelfMetrics& self_metrics, RulePipeline& rules, std::ostream* explain, std::FILE* progress,
                    unsigned threads = 1);

}  // namespace logpulse::pipeline
