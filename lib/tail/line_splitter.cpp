#include "tail/line_splitter.h"

#include <cstring>

namespace logpulse::tail {

LineSplitter::LineSplitter(std::size_t max_line_bytes)
    : max_line_bytes_(max_line_bytes), buffer_(max_line_bytes + kReadChunk) {}

std::span<char> LineSplitter::writable() {
  if (start_ != 0) {
    if (held_ > 0) std::memmove(buffer_.data(), buffer_.data() + start_, held_);
    start_ = 0;
  }
  return {buffer_.data() + held_, buffer_.size() - held_};
}

void LineSplitter::reset() {
  start_ = 0;
  held_ = 0;
  skipping_ = false;
  skipped_bytes_ = 0;
}

void LineSplitter::commit_read(std::size_t n, LineBatch& batch) {
  batch.clear();
  char* const data = buffer_.data();
  std::size_t line_start = start_;
  std::size_t scan_from = start_ + held_;  // the held bytes hold no newline
  const std::size_t end = start_ + held_ + n;

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
      if (length > max_line_bytes_) {
        length = max_line_bytes_;
        ++batch.lines_truncated;
      }
      batch.lines.emplace_back(data + line_start, length);
      batch.bytes += raw_length;
    }
    line_start = newline_at + 1;
    scan_from = line_start;
  }

  std::size_t rest = end - line_start;
  if (skipping_) {
    skipped_bytes_ += rest;
    rest = 0;
  } else if (rest >= max_line_bytes_ + 1) {
    // No newline within the limit (+1 leaves room for a "\r" before "\n"): emit the cut
    // line now and skip until its end.
    batch.lines.emplace_back(data + line_start, max_line_bytes_);
    ++batch.lines_truncated;
    skipping_ = true;
    skipped_bytes_ = rest;
    rest = 0;
  }
  start_ = rest == 0 ? 0 : line_start;
  held_ = rest;
}

}  // namespace logpulse::tail
