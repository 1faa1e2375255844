// Fuzzes tail::LineSplitter with arbitrary bytes cut into reads at fuzzer-chosen points.
// Input: max_line_bytes (1..64), up to 16 cut points, then the file's bytes.
// Invariants, for the fuzzer's chunking and for one byte per read, with another file's
// splitter taking the shared read buffer between reads (so partial lines are parked):
//   - the lines and the truncation count are those of a whole-file reference split, so they
//     do not depend on the chunking;
//   - no line contains '\n'; a cut line is exactly max_line_bytes long;
//   - every byte is accounted for once: the bytes of delivered lines and skipped NUL runs,
//     plus the held partial line (or the skipped rest of a cut one), make up the input;
//   - a NUL run where a line starts is skipped and counted, never part of a line.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "tail/line_splitter.h"

namespace {

using logpulse::tail::LineBatch;
using logpulse::tail::LineSplitter;
using logpulse::tail::ReadBuffer;

struct Outcome {
  std::vector<std::string> lines;
  std::uint64_t truncated = 0;
  std::uint64_t bytes = 0;       // bytes of the lines that ended and of skipped NUL runs
  std::uint64_t nul_bytes = 0;   // NUL bytes skipped where lines start
  std::uint64_t held = 0;        // bytes of the partial last line still held
  bool skipping = false;         // the input ends inside a cut line
};

// What the splitter must deliver for `data` whatever the reads: skip NUL runs where lines
// start, split at '\n', drop one '\r' before it, cut lines longer than max at max. An
// unterminated last line is held, unless it is already longer than max + 1 bytes, or max + 1
// bytes not ending in '\r' (room for a "\r" before a "\n"): then it is cut now.
Outcome reference(std::string_view data, std::size_t max) {
  Outcome out;
  std::size_t start = 0;
  auto skip_nuls = [&] {
    while (start < data.size() && data[start] == '\0') {
      ++start;
      ++out.bytes;
      ++out.nul_bytes;
    }
  };
  skip_nuls();
  for (std::size_t newline; (newline = data.find('\n', start)) != std::string_view::npos;) {
    std::string_view line = data.substr(start, newline - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max) {
      line = line.substr(0, max);
      ++out.truncated;
    }
    out.lines.emplace_back(line);
    out.bytes += newline - start + 1;
    start = newline + 1;
    skip_nuls();
  }
  const std::size_t rest = data.size() - start;
  if (rest > max + 1 || (rest == max + 1 && data.back() != '\r')) {
    out.lines.emplace_back(data.substr(start, max));
    ++out.truncated;
    out.skipping = true;
  } else {
    out.held = rest;
  }
  return out;
}

Outcome split(std::string_view data, const std::vector<std::size_t>& cuts, std::size_t max) {
  ReadBuffer buffer(max);
  LineSplitter splitter(buffer);
  LineSplitter other(buffer);  // another file read through the same buffer between our reads
  const LineBatch& batch = buffer.batch;
  Outcome out;
  std::size_t from = 0;
  auto read = [&](std::size_t to) {
    while (from < to) {
      auto space = splitter.writable();
      FUZZ_CHECK(!space.empty(), "writable() leaves room for a read");
      const std::size_t n = std::min(space.size(), to - from);
      std::memcpy(space.data(), data.data() + from, n);
      splitter.commit_read(n);
      from += n;
      for (auto line : batch.lines) {
        FUZZ_CHECK(line.find('\n') == std::string_view::npos, "a line never contains a newline");
        FUZZ_CHECK(line.size() <= max, "a line is at most max_line_bytes");
        out.lines.emplace_back(line);
      }
      FUZZ_CHECK(batch.lines_truncated <= batch.lines.size(), "truncated lines are among the lines");
      out.truncated += batch.lines_truncated;
      out.bytes += batch.bytes;
      out.nul_bytes += batch.nul_bytes_skipped;
      // The other file takes the buffer: our partial line is parked and must come back.
      auto other_space = other.writable();
      std::memcpy(other_space.data(), "x\ny", 3);
      other.commit_read(3);
    }
  };
  for (std::size_t cut : cuts) read(cut);
  read(data.size());
  out.held = splitter.held_bytes();
  out.skipping = splitter.skipping();
  return out;
}

void check_same(const Outcome& want, const Outcome& got) {
  FUZZ_CHECK(got.lines.size() == want.lines.size(), "the same number of lines whatever the chunking");
  for (std::size_t i = 0; i < want.lines.size(); ++i)
    FUZZ_CHECK(got.lines[i] == want.lines[i], "the same lines whatever the chunking");
  FUZZ_CHECK(got.truncated == want.truncated, "the same lines counted as cut whatever the chunking");
  FUZZ_CHECK(got.bytes == want.bytes, "every byte of a finished line or NUL run is counted once");
  FUZZ_CHECK(got.nul_bytes == want.nul_bytes, "NUL runs where lines start are skipped and counted");
  FUZZ_CHECK(got.skipping == want.skipping, "an over-long unfinished line is cut");
  FUZZ_CHECK(got.held == want.held, "the unfinished line is held whole");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider input(bytes, size);
  const std::size_t max = input.ConsumeIntegralInRange<std::size_t>(1, 64);
  std::vector<std::size_t> cuts(input.ConsumeIntegralInRange<std::size_t>(0, 16));
  for (auto& cut : cuts) cut = input.ConsumeIntegral<std::uint16_t>();
  const std::string data = input.ConsumeRemainingBytesAsString();
  for (auto& cut : cuts) cut %= data.size() + 1;
  std::sort(cuts.begin(), cuts.end());

  const Outcome want = reference(data, max);
  check_same(want, split(data, cuts, max));
  std::vector<std::size_t> every_byte(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) every_byte[i] = i;
  check_same(want, split(data, every_byte, max));
  return 0;
}
