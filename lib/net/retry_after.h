// parse_retry_after: how long a server asks to be left alone, from a Retry-After header
// (RFC 9110 10.2.3): delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT"),
// the latter relative to `now` (from core::Clock::wall(), so tests use a FakeClock).
// A date in the past gives zero; anything unparsable gives nullopt (the caller then uses
// its own backoff). Pure function: safe for concurrent use.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace logpulse::net {

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

}  // namespace logpulse::net
