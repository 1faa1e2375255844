// LineSplitter: turns the bytes read from one file into complete lines, through a
// ReadBuffer that it may share with the splitters of other files.
//
//   auto space = splitter.writable();            // read(2) into it
//   splitter.commit_read(n);                     // buffer.batch.lines = complete lines so far
//
// A partial last line is held until its newline arrives: in the shared buffer while this
// splitter owns it, copied into the splitter's own storage ("parked") when another file's
// splitter takes the buffer. "\r\n" is one line end, also when "\r" and "\n" arrive in two
// reads. A line longer than max_line_bytes is emitted once, cut to max_line_bytes, and
// counted in batch.lines_truncated; the rest of it is skipped. A run of NUL bytes where a
// line starts (the hole a writer without O_APPEND leaves after a copytruncate) is no part of
// any line: it is skipped and counted in batch.nul_bytes_skipped.
// batch.bytes counts the bytes consumed in this call (lines with their line ends, skipped
// NULs, the skipped rest of cut lines).
// Line views are valid until the next writable() on the same buffer. Not thread safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "core/line_batch.h"
#include "tail/read_buffer.h"

namespace logpulse::tail {

class LineSplitter {
 public:
  explicit LineSplitter(ReadBuffer& buffer) : buffer_(&buffer) {}
  ~LineSplitter();
  LineSplitter(const LineSplitter&) = delete;
  LineSplitter& operator=(const LineSplitter&) = delete;

  std::span<char> writable();
  // Splits the `n` bytes just read into writable()'s span; the lines are in batch().
  void commit_read(std::size_t n);
  void reset();
  // Resumes inside a cut line (after a restart): bytes up to the next newline are skipped.
  void resume_skipping() {
    reset();
    skipping_ = true;
  }

  core::LineBatch& batch() { return buffer_->batch; }
  std::size_t held_bytes() const { return held_; }
  bool skipping() const { return skipping_; }
  // Bytes of memory this splitter keeps of its own (a parked partial line).
  std::size_t own_bytes() const { return parked_.capacity(); }

 private:
  // Copies the held partial line out of the shared buffer before another splitter uses it.
  void park();

  ReadBuffer* buffer_;
  std::string parked_;             // the held partial line while another splitter owns the buffer
  std::size_t start_ = 0;          // first byte of the held partial line in the buffer (when owner)
  std::size_t held_ = 0;           // bytes of the held partial line
  bool skipping_ = false;          // inside the tail of a cut line
  std::size_t skipped_bytes_ = 0;  // bytes of the current cut line seen so far
};

}  // namespace logpulse::tail
