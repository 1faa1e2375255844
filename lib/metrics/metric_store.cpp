#include "metrics/metric_store.h"

#include <algorithm>

namespace logpulse::metrics {

MetricStore::MetricStore(const config::Config& config, prometheus::Family<prometheus::Counter>& dropped_family) {
  for (const auto& rule : config.rules) {
    for (const auto& spec : rule.metrics) {
      if (families_.count(spec.name)) continue;
      std::vector<std::string> label_names;
      for (const auto& label : spec.labels) label_names.push_back(label.name);
      std::sort(label_names.begin(), label_names.end());
      families_.emplace(spec.name,
                        std::make_unique<RuleMetric>(spec, std::move(label_names), rule.max_series, rule.expire_after,
                                                     dropped_family.Add({{"metric", spec.name}})));
    }
  }
}

std::vector<prometheus::MetricFamily> MetricStore::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  out.reserve(families_.size());
  for (const auto& [name, family] : families_) out.push_back(family->collect());
  return out;
}

void MetricStore::merge_from(const MetricStore& other, std::int64_t now_ms) {
  for (const auto& [name, family] : families_) family->merge_from(*other.families_.at(name), now_ms);
}

bool MetricStore::has_summaries() const {
  return std::any_of(families_.begin(), families_.end(),
                     [](const auto& entry) { return entry.second->type() == config::MetricType::kSummary; });
}

std::size_t MetricStore::expire(std::int64_t now_ms) {
  std::size_t removed = 0;
  for (auto& [name, family] : families_) removed += family->expire(now_ms);
  return removed;
}

std::vector<std::string> MetricStore::save() const {
  std::vector<std::string> lines;
  for (const auto& [name, family] : families_) {
    std::vector<std::string> series = family->save();
    if (series.empty()) continue;
    lines.push_back("m " + name + " " + family->signature());
    for (auto& line : series) lines.push_back("s " + line);
  }
  return lines;
}

std::size_t MetricStore::restore(const std::vector<std::string>& lines, std::int64_t now_ms) {
  std::size_t rejected = 0;
  RuleMetric* current = nullptr;
  for (const auto& line : lines) {
    if (line.rfind("m ", 0) == 0) {
      auto space = line.find(' ', 2);
      auto it = families_.find(line.substr(2, space == std::string::npos ? std::string::npos : space - 2));
      current = it != families_.end() && space != std::string::npos && line.substr(space + 1) == it->second->signature()
                    ? it->second.get()
                    : nullptr;
      continue;
    }
    if (line.rfind("s ", 0) != 0 || current == nullptr ||
        !current->restore_line(std::string_view(line).substr(2), now_ms))
      ++rejected;
  }
  return rejected;
}

}  // namespace logpulse::metrics
