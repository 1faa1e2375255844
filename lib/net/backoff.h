// Backoff: the delay before the next attempt after consecutive failures: exponential
// (initial, doubling, capped at max) with jitter in [delay/2, delay] ("equal jitter"), so
// senders that failed together do not retry together, and never less than half the
// exponential step. A server's Retry-After overrides the computed delay when longer, up to
// kMaxRetryAfter (a server asking for an hour does not silence delivery for an hour).
//
//   net::Backoff backoff({.initial = 500ms, .max = 30s}, seed);
//   auto wait = backoff.next_delay(retry_after);   // after a failure
//   backoff.reset();                               // after a success
//
// Deterministic for a given seed. Not thread safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace logpulse::net {

inline constexpr std::chrono::milliseconds kDefaultInitialBackoff{500};
inline constexpr std::chrono::milliseconds kDefaultMaxBackoff{30'000};
inline constexpr std::chrono::seconds kMaxRetryAfter{300};

struct BackoffPolicy {
  std::chrono::milliseconds initial = kDefaultInitialBackoff;
  std::chrono::milliseconds max = kDefaultMaxBackoff;
  std::chrono::milliseconds max_retry_after = kMaxRetryAfter;
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, std::uint64_t seed = std::random_device{}());

  // The delay after one more failure; `retry_after` is the server's request, if any.
  std::chrono::milliseconds next_delay(std::optional<std::chrono::seconds> retry_after = std::nullopt);
  void reset() { failures_ = 0; }
  unsigned failures() const { return failures_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 random_;
  unsigned failures_ = 0;
};

}  // namespace logpulse::net
