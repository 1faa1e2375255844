// LineBatch: the unit that travels from a follower to the stages after it: complete lines of
// one file, as views into the follower's read buffer.
// The views are valid until the producing generator is resumed; copy what must outlive it.
// Not thread safe; reused from batch to batch so its vector does not reallocate per line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace logpulse::core {

struct LineBatch {
  std::vector<std::string_view> lines;  // without "\n" / "\r\n"
  std::uint64_t bytes = 0;              // bytes consumed from the file for these lines
  std::uint64_t lines_truncated = 0;    // lines among `lines` cut at max_line_bytes
  std::uint64_t nul_bytes_skipped = 0;  // NUL bytes skipped where lines start (copytruncate holes)
  std::uint64_t end_offset = 0;         // file offset just past the last consumed byte
  bool ends_in_cut_line = false;        // end_offset is inside a cut line whose rest is skipped
  const std::string* path = nullptr;    // the file's current path (for messages)

  void clear() {
    lines.clear();
    bytes = 0;
    lines_truncated = 0;
    nul_bytes_skipped = 0;
  }
};

}  // namespace logpulse::core
