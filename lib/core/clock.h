// Clock: where every unit that reads time gets it, so timing logic (windows, alerts,
// throttles, follower timers) is tested on a FakeClock without sleeping.
//
//   core::Clock& clock = core::system_clock();     // production
//   core::FakeClock fake;  fake.advance(5s);       // tests
//
// Two readings: steady() for intervals and deadlines (never jumps), wall() for what is shown
// or sent outside (event times, alert activeAt/startsAt, remote-write timestamps).
// system_clock() is safe for concurrent use. FakeClock is not thread safe: tests drive it
// from one thread.
#pragma once

#include <chrono>

namespace logpulse::core {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;
  virtual SteadyTime steady() const = 0;
  virtual WallTime wall() const = 0;
};

class SystemClock final : public Clock {
 public:
  SteadyTime steady() const override { return std::chrono::steady_clock::now(); }
  WallTime wall() const override { return std::chrono::system_clock::now(); }
};

// The process-wide real clock.
inline Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

// Time that moves only when told to; both readings move together. Starts at a fixed,
// arbitrary wall time (2026-01-01T00:00:00Z) so tests print stable timestamps.
class FakeClock final : public Clock {
 public:
  FakeClock() : steady_(std::chrono::hours(1)), wall_(std::chrono::seconds(1767225600)) {}
  SteadyTime steady() const override { return steady_; }
  WallTime wall() const override { return wall_; }
  void advance(std::chrono::nanoseconds by) {
    steady_ += by;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(by);
  }

 private:
  SteadyTime steady_;
  WallTime wall_;
};

}  // namespace logpulse::core
