// Bare RE2 loop: the floor of what matching the benchmark's access regex costs.
//
//   g++ -O2 -std=c++20 bench/re2_floor.cpp $(pkg-config --cflags --libs re2) -o re2_floor
//   ./re2_floor FILE [--mem]
//
// Reads FILE with a 1 MiB buffer (or, with --mem, whole into memory first and the read is
// not timed), splits lines with memchr, and runs RE2::Match (default RE2::Options, UNANCHORED,
// as logpulse does) with the access regex of examples/access.yaml on every line, asking for
// the whole match plus the 4 named submatches (nsubmatch = 5, which is what logpulse asks
// for). Counts lines and matches and prints them with lines/s measured inside the process
// (steady clock, the process start-up and regex compilation excluded).
// Single-threaded on purpose: it is the single-core floor.
#include <re2/re2.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

static const char* kPattern =
    R"re(^\S+ \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) \S+ HTTP\/\d\.\d" (?P<status>\d{3}) (?P<size>\d+|-) "[^"]*" "[^"]*" (?P<request_time>\d+(?:\.\d+)?)$)re";

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [--mem]\n", argv[0]);
    return 2;
  }
  const bool mem = argc > 2 && std::strcmp(argv[2], "--mem") == 0;
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(kPattern, options);
  if (!re.ok()) {
    std::fprintf(stderr, "bad regex: %s\n", re.error().c_str());
    return 2;
  }
  if (re.NumberOfCapturingGroups() != 4) {
    std::fprintf(stderr, "expected 4 groups, got %d\n", re.NumberOfCapturingGroups());
    return 2;
  }
  int fd = ::open(argv[1], O_RDONLY);
  if (fd < 0) {
    std::perror(argv[1]);
    return 2;
  }
  re2::StringPiece groups[5];
  unsigned long long lines = 0, matches = 0, group_bytes = 0;
  auto match_line = [&](const char* p, std::size_t n) {
    ++lines;
    if (re.Match(re2::StringPiece(p, n), 0, n, RE2::UNANCHORED, groups, 5)) {
      ++matches;
      group_bytes += groups[1].size() + groups[2].size() + groups[3].size() + groups[4].size();
    }
  };

  std::vector<char> data;
  auto t0 = std::chrono::steady_clock::now();
  if (mem) {
    char tmp[1 << 16];
    ssize_t n;
    while ((n = ::read(fd, tmp, sizeof tmp)) > 0) data.insert(data.end(), tmp, tmp + n);
    t0 = std::chrono::steady_clock::now();
    const char* p = data.data();
    const char* end = p + data.size();
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      const char* stop = nl ? nl : end;
      match_line(p, static_cast<std::size_t>(stop - p));
      p = nl ? nl + 1 : end;
    }
  } else {
    const std::size_t kBuf = 1 << 20;
    std::vector<char> buf(kBuf + (1 << 16));
    std::size_t have = 0;  // bytes of an incomplete line kept at the start of buf
    for (;;) {
      if (have == buf.size()) buf.resize(buf.size() * 2);  // a line longer than the buffer
      ssize_t n = ::read(fd, buf.data() + have, std::min(kBuf, buf.size() - have));
      if (n < 0) {
        std::perror("read");
        return 2;
      }
      if (n == 0) break;
      const char* p = buf.data();
      const char* end = buf.data() + have + n;
      while (p < end) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        if (!nl) break;
        match_line(p, static_cast<std::size_t>(nl - p));
        p = nl + 1;
      }
      have = static_cast<std::size_t>(end - p);
      std::memmove(buf.data(), p, have);
    }
    if (have) match_line(buf.data(), have);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(fd);
  std::printf("lines %llu\nmatches %llu\ngroup_bytes %llu\nseconds %.4f\nlines_per_s %.0f\n", lines, matches,
              group_bytes, secs, lines / secs);
  return 0;
}
