// MetricStore: every metric family the rules define, by name, exported through a
// prometheus-cpp registry (it is a prometheus::Collectable), plus the checkpointed form of
// their state. Families are created at start-up and not added later.
// Thread safety: as RuleMetric — updates on the ingestion thread, Collect() from any thread.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "metrics/rule_metric.h"

namespace logpulse::metrics {

class MetricStore : public prometheus::Collectable {
 public:
  // One family per metric name across all rules (the loader checked that repeated
  // definitions agree). `dropped_family` gets one series per metric.
  MetricStore(const config::Config& config, prometheus::Family<prometheus::Counter>& dropped_family);

  RuleMetric& family(const std::string& name) { return *families_.at(name); }
  std::vector<prometheus::MetricFamily> Collect() const override;

  // Merges another store built from the same configuration (see RuleMetric::merge_from).
  void merge_from(const MetricStore& other, std::int64_t now_ms);
  bool has_summaries() const;

  // Removes idle series of families with expire_after; returns how many.
  std::size_t expire(std::int64_t now_ms);

  // "m NAME" followed by the family's series lines, for the checkpoint.
  std::vector<std::string> save() const;
  // Restores what save() wrote; returns how many lines did not fit the current config.
  std::size_t restore(const std::vector<std::string>& lines, std::int64_t now_ms);

 private:
  std::map<std::string, std::unique_ptr<RuleMetric>> families_;
};

}  // namespace logpulse::metrics
