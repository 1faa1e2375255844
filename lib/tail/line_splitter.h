// LineSplitter: turns bytes read from one file into complete lines, in a fixed buffer.
//
//   auto space = splitter.writable();            // read(2) into it
//   splitter.commit_read(n, batch);              // batch.lines = complete lines so far
//
// A partial last line is held (moved to the front on the next writable()) until its newline
// arrives. "\r\n" is one line end. A line longer than max_line_bytes is emitted once, cut to
// max_line_bytes, and counted in batch.lines_truncated; the rest of it is skipped.
// batch.bytes counts the bytes of the lines that ended in this call, newline included.
// Line views are valid until the next writable() or reset(). Not thread safe.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "tail/line_batch.h"

namespace logpulse::tail {

class LineSplitter {
 public:
  static constexpr std::size_t kReadChunk = 128 * 1024;

  explicit LineSplitter(std::size_t max_line_bytes);
  LineSplitter(const LineSplitter&) = delete;
  LineSplitter& operator=(const LineSplitter&) = delete;

  std::span<char> writable();
  void commit_read(std::size_t n, LineBatch& batch);
  void reset();
  // Resumes inside a cut line (after a restart): bytes up to the next newline are skipped.
  void resume_skipping() {
    reset();
    skipping_ = true;
  }

  std::size_t held_bytes() const { return held_; }
  bool skipping() const { return skipping_; }

 private:
  std::size_t max_line_bytes_;
  std::vector<char> buffer_;
  std::size_t start_ = 0;         // first byte of the held partial line in buffer_
  std::size_t held_ = 0;          // bytes of the held partial line
  bool skipping_ = false;         // inside the tail of a cut line
  std::size_t skipped_bytes_ = 0; // bytes of the current cut line seen so far
};

}  // namespace logpulse::tail
