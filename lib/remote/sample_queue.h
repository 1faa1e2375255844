// SampleQueue: the samples waiting for one remote-write URL, as segments (one per
// write_interval snapshot, numbered in order), bounded by max_samples and max_bytes. When a
// push goes over a bound the oldest segments are dropped whole, never the one a batch in
// flight was taken from; a single snapshot larger than the bounds keeps its first series
// and drops the rest. Every drop is counted in the result of push().
//
//   SampleQueue queue(500'000, 64 << 20);
//   auto pushed = queue.push({.sequence = 7, .series = std::move(snapshot)});
//   auto batch = queue.take(2000);          // marks that segment in flight
//   ...send batch.series...
//   auto done = queue.finish(batch);        // removes them; done.emptied: segments used up
//
// Not thread safe: one thread (the remote-write loop) pushes, takes and finishes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "remote/series.h"

namespace logpulse::remote {

struct Segment {
  std::uint64_t sequence = 0;
  std::vector<Series> series;
};

class SampleQueue {
 public:
  SampleQueue(std::size_t max_samples, std::size_t max_bytes);

  struct PushResult {
    std::size_t dropped_samples = 0;               // older segments' and the new one's own
    std::vector<std::uint64_t> dropped_segments;   // whole segments gone (their files go too)
    bool trimmed = false;                          // the new segment lost series to the bounds
  };
  PushResult push(Segment segment);

  // Up to `max` series from the front of the oldest segment; empty when nothing is queued.
  // The span is valid until the next push() or finish(); the segment stays queued (and is
  // never dropped) until finish().
  struct Batch {
    std::uint64_t sequence = 0;
    std::size_t offset = 0;
    std::span<const Series> series;
  };
  Batch take(std::size_t max);

  // The batch is done with (sent or given up): its series leave the queue. Returns the
  // segment's sequence when it is now used up (removed).
  std::optional<std::uint64_t> finish(const Batch& batch);
  // A batch to retry is simply not finished: take() returns the same series again.

  // The newest segment as the queue keeps it (its series may have been trimmed); null when empty.
  const Segment* newest() const { return segments_.empty() ? nullptr : &segments_.back().segment; }

  std::size_t samples() const { return samples_; }
  std::size_t bytes() const { return bytes_; }
  bool empty() const { return segments_.empty(); }
  std::size_t segments() const { return segments_.size(); }

 private:
  struct Held {
    Segment segment;
    std::size_t offset = 0;  // series before it were sent
    std::size_t bytes = 0;   // of the series from offset on
  };
  void remove_front_series(Held& held, std::size_t count);

  std::size_t max_samples_;
  std::size_t max_bytes_;
  std::deque<Held> segments_;
  std::size_t samples_ = 0;
  std::size_t bytes_ = 0;
  std::optional<std::uint64_t> in_flight_;
};

}  // namespace logpulse::remote
