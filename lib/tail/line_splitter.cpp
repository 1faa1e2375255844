#include "tail/line_splitter.h"

#include <cstring>

namespace logpulse::tail {

namespace {
// A parked partial line keeps at most this much spare capacity, so a file that once held a
// long partial line does not keep its memory while idle.
constexpr std::size_t kParkedSlack = 4096;

// Skips the NUL bytes from `at` (a line start) and counts them; returns the first other byte.
std::size_t skip_nul_run(const char* data, std::size_t at, std::size_t end, core::LineBatch& batch) {
  std::size_t i = at;
  while (i < end && data[i] == '\0') ++i;
  batch.bytes += i - at;
  batch.nul_bytes_skipped += i - at;
  return i;
}
}  // namespace

LineSplitter::~LineSplitter() {
  if (buffer_->owner == this) buffer_->owner = nullptr;
}

void LineSplitter::park() {
  parked_.assign(buffer_->bytes.data() + start_, held_);
  if (parked_.capacity() > held_ + kParkedSlack) parked_.shrink_to_fit();
  start_ = 0;
  buffer_->owner = nullptr;
}

std::span<char> LineSplitter::writable() {
  char* const data = buffer_->bytes.data();
  if (buffer_->owner != this) {
    if (buffer_->owner != nullptr) buffer_->owner->park();
    buffer_->owner = this;
    if (held_ > 0) std::memcpy(data, parked_.data(), held_);
    parked_.clear();
    if (parked_.capacity() > kParkedSlack) parked_.shrink_to_fit();
    start_ = 0;
  } else if (start_ != 0) {
    if (held_ > 0) std::memmove(data, data + start_, held_);
    start_ = 0;
  }
  return {data + held_, buffer_->bytes.size() - held_};
}

void LineSplitter::reset() {
  start_ = 0;
  held_ = 0;
  skipping_ = false;
  skipped_bytes_ = 0;
  parked_.clear();
  parked_.shrink_to_fit();
}

void LineSplitter::commit_read(std::size_t n) {
  core::LineBatch& batch = buffer_->batch;
  batch.clear();
  const std::size_t max_line_bytes = buffer_->max_line_bytes;
  char* const data = buffer_->bytes.data();
  std::size_t line_start = start_;
  std::size_t scan_from = start_ + held_;  // the held bytes hold no newline
  const std::size_t end = start_ + held_ + n;
  // A held partial line never starts with NUL: its run was skipped when it began.
  if (held_ == 0 && !skipping_) line_start = scan_from = skip_nul_run(data, line_start, end, batch);

  while (scan_from < end) {
    auto* newline = static_cast<char*>(std::memchr(data + scan_from, '\n', end - scan_from));
    if (newline == nullptr) break;
    const std::size_t newline_at = static_cast<std::size_t>(newline - data);
    const std::size_t raw_length = newline_at - line_start + 1;
    if (skipping_) {
      batch.bytes += skipped_bytes_ + raw_length;
      skipping_ = false;
      skipped_bytes_ = 0;
    } else {
      std::size_t length = newline_at - line_start;
      if (length > 0 && data[newline_at - 1] == '\r') --length;
      if (length > max_line_bytes) {
        length = max_line_bytes;
        ++batch.lines_truncated;
      }
      batch.lines.emplace_back(data + line_start, length);
      batch.bytes += raw_length;
    }
    line_start = skip_nul_run(data, newline_at + 1, end, batch);
    scan_from = line_start;
  }

  std::size_t rest = end - line_start;
  // No newline within the limit: emit the cut line now and skip until its end. A line of
  // exactly max_line_bytes whose "\r" came without its "\n" yet is not cut: held one byte more.
  const bool over_limit = rest > max_line_bytes + 1 || (rest == max_line_bytes + 1 && data[end - 1] != '\r');
  if (skipping_) {
    skipped_bytes_ += rest;
    rest = 0;
  } else if (over_limit) {
    batch.lines.emplace_back(data + line_start, max_line_bytes);
    ++batch.lines_truncated;
    skipping_ = true;
    skipped_bytes_ = rest;
    rest = 0;
  }
  start_ = rest == 0 ? 0 : line_start;
  held_ = rest;
}

}  // namespace logpulse::tail
