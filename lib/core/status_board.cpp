#include "core/status_board.h"

namespace logpulse::core {

void StatusBoard::publish(std::vector<SourceStatus> sources) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  const double seconds = std::chrono::duration<double>(now - published_at_).count();
  for (auto& source : sources) {
    for (const auto& previous : sources_) {
      if (previous.name == source.name && seconds > 0 && source.lines_read >= previous.lines_read)
        source.lines_per_second = static_cast<double>(source.lines_read - previous.lines_read) / seconds;
    }
  }
  sources_ = std::move(sources);
  published_at_ = now;
}

std::vector<SourceStatus> StatusBoard::snapshot() const {
  std::lock_guard lock(mutex_);
  return sources_;
}

}  // namespace logpulse::core
