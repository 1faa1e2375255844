#include "pipeline/status_board.h"

#include <algorithm>

namespace logpulse::pipeline {
namespace {

double per_second(std::uint64_t now, std::uint64_t before, double seconds) {
  return seconds > 0 && now >= before ? static_cast<double>(now - before) / seconds : 0;
}

}  // namespace

void StatusBoard::publish(std::vector<SourceStatus> sources, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  const double seconds = std::chrono::duration<double>(now - published_at_).count();
  std::vector<History> histories;
  histories.reserve(sources.size());
  for (auto& source : sources) {
    auto previous = std::find_if(sources_.begin(), sources_.end(), [&](const SourceStatus& s) { return s.name == source.name; });
    if (previous != sources_.end()) {
      source.lines_per_second = per_second(source.lines_read, previous->lines_read, seconds);
      for (auto& rule : source.rules) {
        for (const auto& before : previous->rules)
          if (before.name == rule.name) rule.matched_per_second = per_second(rule.lines_matched, before.lines_matched, seconds);
      }
    }
    auto kept = std::find_if(histories_.begin(), histories_.end(), [&](const History& h) { return h.name == source.name; });
    History history;
    if (kept != histories_.end()) {
      history = std::move(*kept);
    } else {
      history.name = source.name;
      history.step_start = now;
      history.lines_at_step_start = source.lines_read;
    }
    advance(history, source, now);
    source.rate_history.assign(history.points.begin(), history.points.end());
    histories.push_back(std::move(history));
  }
  // Sources gone from the configuration take their history with them.
  histories_ = std::move(histories);
  sources_ = std::move(sources);
  published_at_ = now;
}

void StatusBoard::advance(History& history, const SourceStatus& source, std::chrono::steady_clock::time_point now) {
  const auto elapsed = now - history.step_start;
  if (elapsed < kRateStep) return;
  // Publications are 250 ms apart, so a step ends up to that late; a stalled thread ends
  // several at once, each given the mean rate since the last one.
  const auto steps = std::min<std::size_t>(static_cast<std::size_t>(elapsed / kRateStep), kRatePoints);
  const double rate = per_second(source.lines_read, history.lines_at_step_start,
                                 std::chrono::duration<double>(elapsed).count());
  for (std::size_t i = 0; i < steps; ++i) history.points.push_back(rate);
  while (history.points.size() > kRatePoints) history.points.pop_front();
  history.step_start = now;
  history.lines_at_step_start = source.lines_read;
}

std::vector<SourceStatus> StatusBoard::snapshot() const {
  std::lock_guard lock(mutex_);
  return sources_;
}

}  // namespace logpulse::pipeline
