// ReadBuffer: the bytes a reader reads files into, and the batch of line views into them.
// One per reader, shared by every file that reader follows: files are read one at a time,
// so a followed file keeps only its own partial line (LineSplitter parks it when another
// file takes the buffer), and an idle file costs no read buffer.
//
//   ReadBuffer buffer(max_line_bytes);
//   LineSplitter a(buffer), b(buffer);       // both read through `buffer`
//
// The views in `batch` are valid until the next LineSplitter::writable() on this buffer.
// Not thread safe; must outlive the splitters that use it. Not copyable or movable
// (splitters point to it).
#pragma once

#include <cstddef>
#include <vector>

#include "core/line_batch.h"

namespace logpulse::tail {

class LineSplitter;

struct ReadBuffer {
  static constexpr std::size_t kReadChunk = 128 * 1024;

  // Room for a held partial line of max_line_bytes (+1 for a "\r" waiting for its "\n")
  // and a full read after it.
  explicit ReadBuffer(std::size_t max_line_bytes_in)
      : max_line_bytes(max_line_bytes_in), bytes(max_line_bytes_in + 1 + kReadChunk) {}
  ReadBuffer(const ReadBuffer&) = delete;
  ReadBuffer& operator=(const ReadBuffer&) = delete;

  const std::size_t max_line_bytes;
  std::vector<char> bytes;
  core::LineBatch batch;
  LineSplitter* owner = nullptr;  // whose partial line sits in `bytes` now
};

}  // namespace logpulse::tail
