#include "pipeline/window_set.h"

#include <algorithm>

#include "window/series_key.h"

namespace logpulse::pipeline {
namespace {

window::Agg agg_of(config::WindowAgg agg) {
  switch (agg) {
    case config::WindowAgg::kCount: return window::Agg::kCount;
    case config::WindowAgg::kSum: return window::Agg::kSum;
    case config::WindowAgg::kAvg: return window::Agg::kAvg;
    case config::WindowAgg::kMin: return window::Agg::kMin;
    case config::WindowAgg::kMax: return window::Agg::kMax;
    case config::WindowAgg::kRate: return window::Agg::kRate;
    case config::WindowAgg::kQuantile: return window::Agg::kQuantile;
    case config::WindowAgg::kDistinct: return window::Agg::kDistinct;
    case config::WindowAgg::kTopk: return window::Agg::kTopk;
  }
  return window::Agg::kCount;
}

window::WindowSpec spec_of(const config::WindowConfig& config) {
  return window::WindowSpec{.name = config.name,
                            .agg = agg_of(config.agg),
                            .over = config.over,
                            .quantiles = config.quantiles,
                            .k = config.k,
                            .max_series = config.max_series};
}

}  // namespace

WindowSnapshot::WindowSnapshot(std::vector<WindowValues> windows, window::WallTime at,
                               const std::vector<bool>& for_alerts)
    : windows_(std::move(windows)), at_(at) {
  for (std::size_t index = 0; index < windows_.size(); ++index) {
    if (index >= for_alerts.size() || !for_alerts[index]) continue;
    const WindowValues& values = windows_[index];
    const bool quantile = values.agg == config::WindowAgg::kQuantile;
    for (const WindowSeries& series : values.series) {
      alert::Labels labels;
      labels.reserve(values.by.size());
      for (std::size_t i = 0; i < values.by.size() && i < series.labels.size(); ++i)
        labels.emplace_back(values.by[i], series.labels[i]);
      const std::optional<double> which = quantile ? std::optional<double>(series.quantile) : std::nullopt;
      vectors_[{values.name, which}][alert::sorted_labels(std::move(labels))] = series.value;
    }
  }
}

const alert::Vector* WindowSnapshot::lookup(const alert::WindowRef& ref) const {
  auto it = vectors_.find({ref.name, ref.quantile});
  return it == vectors_.end() ? nullptr : &it->second;
}

WindowSet::WindowSet(const config::Config& config) : config_(config) {
  windows_.reserve(config.windows.size());
  for (const auto& window_config : config.windows) {
    windows_.push_back(window::make_window(spec_of(window_config)));
    targets_.push_back(match::WindowTarget{&window_config, windows_.back().get()});
  }
}

void WindowSet::set_read_by_alerts(const std::vector<std::string>& names) {
  read_by_alerts_.assign(windows_.size(), false);
  for (std::size_t i = 0; i < windows_.size(); ++i)
    read_by_alerts_[i] = std::find(names.begin(), names.end(), config_.windows[i].name) != names.end();
}

std::vector<alert::WindowShape> WindowSet::shapes() const {
  std::vector<alert::WindowShape> shapes;
  for (const auto& window_config : config_.windows)
    shapes.push_back(alert::WindowShape{window_config.name, window_config.by,
                                        window_config.agg == config::WindowAgg::kQuantile
                                            ? window_config.quantiles
                                            : std::vector<double>{}});
  return shapes;
}

WindowValues WindowSet::read(std::size_t index, window::WallTime now) {
  const config::WindowConfig& window_config = config_.windows[index];
  window::Window& window = *windows_[index];
  window.read(now, points_);
  WindowValues values{.name = window_config.name,
                      .rule = window_config.rule,
                      .agg = window_config.agg,
                      .over = window_config.over,
                      .by = window_config.by,
                      .series = {},
                      .late = window.late_total(),
                      .dropped = window.dropped_total()};
  // Sorted on the joined keys (views), before they are split into strings: cheaper than
  // sorting the vectors of strings.
  std::sort(points_.begin(), points_.end(), [](const window::Point& a, const window::Point& b) {
    return a.labels != b.labels ? a.labels < b.labels : a.quantile < b.quantile;
  });
  values.series.reserve(points_.size());
  std::vector<std::string_view> parts;
  for (const window::Point& point : points_) {
    window::split_labels(point.labels, window_config.by.size(), parts);
    values.series.push_back(WindowSeries{{parts.begin(), parts.end()}, point.quantile, point.value});
  }
  return values;
}

std::shared_ptr<const WindowSnapshot> WindowSet::snapshot(window::WallTime now) {
  std::vector<WindowValues> all;
  all.reserve(windows_.size());
  for (std::size_t i = 0; i < windows_.size(); ++i) all.push_back(read(i, now));
  return std::make_shared<const WindowSnapshot>(std::move(all), now, read_by_alerts_);
}

std::shared_ptr<const WindowSnapshot> WindowSet::snapshot_at_present() {
  std::vector<WindowValues> all;
  window::WallTime latest = window::WallTime::min();
  for (std::size_t i = 0; i < windows_.size(); ++i) {
    const window::WallTime present = windows_[i]->present();
    latest = std::max(latest, present);
    all.push_back(read(i, present == window::WallTime::min() ? window::WallTime{} : present));
  }
  return std::make_shared<const WindowSnapshot>(std::move(all), latest, read_by_alerts_);
}

std::vector<std::pair<std::string, std::string>> WindowSet::save() const {
  std::vector<std::pair<std::string, std::string>> saved;
  saved.reserve(windows_.size());
  for (const auto& window : windows_) {
    std::string blob;
    window->save(blob);
    saved.emplace_back(window->spec().name, std::move(blob));
  }
  return saved;
}

std::size_t WindowSet::restore(const std::vector<std::pair<std::string, std::string>>& saved) {
  std::size_t refused = 0;
  for (const auto& entry : saved) {
    auto it = std::find_if(windows_.begin(), windows_.end(),
                           [&entry](const auto& w) { return w->spec().name == entry.first; });
    if (it == windows_.end()) continue;  // a window no longer configured
    if (!(*it)->restore(entry.second)) ++refused;
  }
  return refused;
}

}  // namespace logpulse::pipeline
