#include "net/backoff.h"

#include <algorithm>

namespace logpulse::net {

Backoff::Backoff(BackoffPolicy policy, std::uint64_t seed) : policy_(policy), random_(seed) {
  policy_.initial = std::max(policy_.initial, std::chrono::milliseconds(1));
  policy_.max = std::max(policy_.max, policy_.initial);
}

std::chrono::milliseconds Backoff::next_delay(std::optional<std::chrono::seconds> retry_after) {
  // initial * 2^failures, computed without overflow: stop doubling at the cap.
  auto step = policy_.initial;
  for (unsigned i = 0; i < failures_ && step < policy_.max; ++i) step *= 2;
  step = std::min(step, policy_.max);
  if (failures_ < 64) ++failures_;

  std::uniform_int_distribution<std::int64_t> jitter(step.count() / 2, step.count());
  std::chrono::milliseconds delay(jitter(random_));
  if (retry_after) {
    const auto cap = std::chrono::ceil<std::chrono::seconds>(policy_.max_retry_after);
    const auto asked = *retry_after >= cap ? policy_.max_retry_after
                                           : std::chrono::milliseconds(*retry_after);
    delay = std::max(delay, std::min(asked, policy_.max_retry_after));
  }
  return delay;
}

}  // namespace logpulse::net
