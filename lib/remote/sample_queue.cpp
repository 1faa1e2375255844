#include "remote/sample_queue.h"

#include <algorithm>

namespace logpulse::remote {

SampleQueue::SampleQueue(std::size_t max_samples, std::size_t max_bytes)
    : max_samples_(std::max<std::size_t>(max_samples, 1)), max_bytes_(std::max<std::size_t>(max_bytes, 1)) {}

SampleQueue::PushResult SampleQueue::push(Segment segment) {
  PushResult result;
  // A snapshot alone over the bounds keeps what fits of it.
  std::size_t keep = 0, keep_bytes = 0;
  for (const auto& series : segment.series) {
    if (keep + 1 > max_samples_ || keep_bytes + series.bytes() > max_bytes_) break;
    keep_bytes += series.bytes();
    ++keep;
  }
  if (keep < segment.series.size()) {
    result.dropped_samples += segment.series.size() - keep;
    result.trimmed = true;
    segment.series.resize(keep);
  }
  if (segment.series.empty()) return result;

  // Room for it: the oldest segments go, except one a batch in flight comes from.
  auto over = [&] { return samples_ + keep > max_samples_ || bytes_ + keep_bytes > max_bytes_; };
  for (auto it = segments_.begin(); over() && it != segments_.end();) {
    if (in_flight_ && it->segment.sequence == *in_flight_) {
      ++it;
      continue;
    }
    const std::size_t count = it->segment.series.size() - it->offset;
    result.dropped_samples += count;
    result.dropped_segments.push_back(it->segment.sequence);
    samples_ -= count;
    bytes_ -= it->bytes;
    it = segments_.erase(it);
  }
  if (over()) {  // only the in-flight segment is left and both do not fit: the new one gives way
    result.dropped_samples += keep;
    result.trimmed = true;
    return result;
  }
  samples_ += keep;
  bytes_ += keep_bytes;
  segments_.push_back(Held{std::move(segment), 0, keep_bytes});
  return result;
}

SampleQueue::Batch SampleQueue::take(std::size_t max) {
  if (segments_.empty()) return {};
  const Held& front = segments_.front();
  const std::size_t count = std::min(max, front.segment.series.size() - front.offset);
  in_flight_ = front.segment.sequence;
  return Batch{front.segment.sequence, front.offset,
               std::span<const Series>(front.segment.series).subspan(front.offset, count)};
}

void SampleQueue::remove_front_series(Held& held, std::size_t count) {
  std::size_t removed_bytes = 0;
  for (std::size_t i = held.offset; i < held.offset + count; ++i) removed_bytes += held.segment.series[i].bytes();
  held.offset += count;
  held.bytes -= removed_bytes;
  samples_ -= count;
  bytes_ -= removed_bytes;
}

std::optional<std::uint64_t> SampleQueue::finish(const Batch& batch) {
  in_flight_.reset();
  if (segments_.empty()) return std::nullopt;
  Held& front = segments_.front();
  if (front.segment.sequence != batch.sequence || front.offset != batch.offset) return std::nullopt;
  remove_front_series(front, batch.series.size());
  if (front.offset < front.segment.series.size()) return std::nullopt;
  const std::uint64_t done = front.segment.sequence;
  segments_.pop_front();
  return done;
}

}  // namespace logpulse::remote
