#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tail/line_splitter.h"

using namespace logpulse::tail;
using logpulse::core::LineBatch;

namespace {
// Feeds `chunks` one by one; returns every line emitted, copied.
struct Fed {
  std::vector<std::string> lines;
  std::uint64_t bytes = 0;
  std::uint64_t truncated = 0;
  std::uint64_t nul_bytes = 0;
};

Fed feed(LineSplitter& splitter, const std::vector<std::string>& chunks) {
  Fed out;
  for (const auto& chunk : chunks) {
    auto space = splitter.writable();
    REQUIRE(space.size() >= chunk.size());
    std::memcpy(space.data(), chunk.data(), chunk.size());
    splitter.commit_read(chunk.size());
    const LineBatch& batch = splitter.batch();
    for (auto line : batch.lines) out.lines.emplace_back(line);
    out.bytes += batch.bytes;
    out.truncated += batch.lines_truncated;
    out.nul_bytes += batch.nul_bytes_skipped;
  }
  return out;
}
}  // namespace

TEST_CASE("complete lines are split and a partial last line is held") {
  ReadBuffer buffer(64);
  LineSplitter splitter(buffer);
  Fed fed = feed(splitter, {"one\ntwo\nthr", "ee\n", "four"});
  CHECK(fed.lines == std::vector<std::string>{"one", "two", "three"});
  CHECK(fed.bytes == 14);
  CHECK(splitter.held_bytes() == 4);
  fed = feed(splitter, {"\n"});
  CHECK(fed.lines == std::vector<std::string>{"four"});
  CHECK(fed.bytes == 5);
}

TEST_CASE("CRLF is one line end; a lone CR stays in the line; empty lines count") {
  ReadBuffer buffer(64);
  LineSplitter splitter(buffer);
  Fed fed = feed(splitter, {"a\r\nb\rc\n\n\r\n"});
  CHECK(fed.lines == std::vector<std::string>{"a", "b\rc", "", ""});
  CHECK(fed.bytes == 10);
}

TEST_CASE("a CRLF split across reads is still one line end") {
  ReadBuffer buffer(64);
  LineSplitter splitter(buffer);
  Fed fed = feed(splitter, {"abc\r", "\n"});
  CHECK(fed.lines == std::vector<std::string>{"abc"});
}

TEST_CASE("an overlong line is emitted once, cut, and its tail skipped") {
  ReadBuffer buffer(16);
  LineSplitter splitter(buffer);
  std::string longline(40, 'x');
  Fed fed = feed(splitter, {longline + "\nshort\n"});
  CHECK(fed.lines == std::vector<std::string>{std::string(16, 'x'), "short"});
  CHECK(fed.truncated == 1);
  CHECK(fed.bytes == 41 + 6);
}

TEST_CASE("an overlong line arriving in pieces is cut when the limit is reached") {
  ReadBuffer buffer(16);
  LineSplitter splitter(buffer);
  Fed first = feed(splitter, {std::string(10, 'a'), std::string(10, 'b')});
  CHECK(first.lines == std::vector<std::string>{"aaaaaaaaaabbbbbb"});
  CHECK(first.truncated == 1);
  CHECK(first.bytes == 0);  // the line has not ended yet
  Fed rest = feed(splitter, {std::string(100, 'c'), "ccc\nnext\n"});
  CHECK(rest.lines == std::vector<std::string>{"next"});
  CHECK(rest.truncated == 0);
  CHECK(rest.bytes == 20 + 104 + 5);
}

TEST_CASE("a line of exactly max_line_bytes is not cut, with or without CR") {
  ReadBuffer buffer(8);
  LineSplitter splitter(buffer);
  Fed fed = feed(splitter, {"12345678", "\r\n", "abcdefgh\n"});
  CHECK(fed.lines == std::vector<std::string>{"12345678", "abcdefgh"});
  CHECK(fed.truncated == 0);
}

TEST_CASE("NUL bytes and invalid UTF-8 are ordinary line content") {
  ReadBuffer buffer(64);
  LineSplitter splitter(buffer);
  std::string content("a\0b\xff\xfe\n", 6);
  Fed fed = feed(splitter, {content});
  REQUIRE(fed.lines.size() == 1);
  CHECK(fed.lines[0] == std::string("a\0b\xff\xfe", 5));
}

TEST_CASE("reset drops the held partial line") {
  ReadBuffer buffer(64);
  LineSplitter splitter(buffer);
  feed(splitter, {"partial"});
  splitter.reset();
  Fed fed = feed(splitter, {"new\n"});
  CHECK(fed.lines == std::vector<std::string>{"new"});
}

TEST_CASE("many reads through a small buffer keep every line exactly once") {
  ReadBuffer buffer(32);
  LineSplitter splitter(buffer);
  std::string all;
  for (int i = 0; i < 20000; ++i) all += "line-" + std::to_string(i) + "\n";
  std::vector<std::string> chunks;
  for (std::size_t at = 0; at < all.size(); at += 7777) chunks.push_back(all.substr(at, 7777));
  Fed fed = feed(splitter, chunks);
  REQUIRE(fed.lines.size() == 20000);
  CHECK(fed.lines.front() == "line-0");
  CHECK(fed.lines[12345] == "line-12345");
  CHECK(fed.bytes == all.size());
}

TEST_CASE("a line of exactly max_line_bytes whose CR and LF arrive in two reads is not cut") {
  ReadBuffer buffer(8);
  LineSplitter splitter(buffer);
  Fed fed = feed(splitter, {"12345678\r", "\nnext\n"});
  CHECK(fed.lines == std::vector<std::string>{"12345678", "next"});
  CHECK(fed.truncated == 0);
  CHECK(fed.bytes == 15);
  // One byte more than the limit before the CR is a cut line.
  ReadBuffer other(8);
  LineSplitter longer(other);
  fed = feed(longer, {"123456789\r", "\nnext\n"});
  CHECK(fed.lines == std::vector<std::string>{"12345678", "next"});
  CHECK(fed.truncated == 1);
  CHECK(fed.bytes == 16);
}

TEST_CASE("a held CR followed by other bytes makes a cut line") {
  ReadBuffer buffer(8);
  LineSplitter splitter(buffer);
  Fed fed = feed(splitter, {"12345678\r", "x\n"});
  CHECK(fed.lines == std::vector<std::string>{"12345678"});
  CHECK(fed.truncated == 1);
  CHECK(fed.bytes == 11);
}

TEST_CASE("a NUL run where a line starts is skipped and counted, the line after it delivered whole") {
  ReadBuffer buffer(16);
  LineSplitter splitter(buffer);
  // A hole larger than max_line_bytes, arriving over several reads, then a line.
  Fed fed = feed(splitter,
                 {"first\n" + std::string(40, '\0'), std::string(30, '\0'), std::string(5, '\0') + "after the hole\n"});
  CHECK(fed.lines == std::vector<std::string>{"first", "after the hole"});
  CHECK(fed.nul_bytes == 75);
  CHECK(fed.truncated == 0);
  CHECK(fed.bytes == 6 + 75 + 15);
  CHECK(splitter.held_bytes() == 0);
}

TEST_CASE("a NUL run at the very start and NULs inside a line") {
  ReadBuffer buffer(64);
  LineSplitter splitter(buffer);
  const std::string inside = std::string("a") + '\0' + "b";
  Fed fed = feed(splitter, {std::string(3, '\0') + inside + "\n" + std::string(2, '\0') + "c\n"});
  CHECK(fed.lines == std::vector<std::string>{inside, "c"});
  CHECK(fed.nul_bytes == 5);
}

TEST_CASE("splitters sharing one buffer keep their partial lines apart") {
  ReadBuffer buffer(64);
  LineSplitter a(buffer);
  LineSplitter b(buffer);
  CHECK(feed(a, {"one\npart-a"}).lines == std::vector<std::string>{"one"});
  CHECK(feed(b, {"two\npart-b"}).lines == std::vector<std::string>{"two"});
  CHECK(a.own_bytes() >= 6);  // parked when b took the buffer
  CHECK(feed(a, {"-end\n"}).lines == std::vector<std::string>{"part-a-end"});
  CHECK(feed(b, {"-end\n"}).lines == std::vector<std::string>{"part-b-end"});
  CHECK(a.held_bytes() == 0);
  CHECK(b.held_bytes() == 0);
}

TEST_CASE("an idle splitter keeps no large buffer") {
  ReadBuffer buffer(65536);
  LineSplitter a(buffer);
  LineSplitter b(buffer);
  feed(a, {std::string(60000, 'x')});  // a long partial line
  feed(b, {"b\n"});                    // a parks it
  CHECK(a.held_bytes() == 60000);
  feed(a, {"\n"});
  feed(b, {"b\n"});  // a parks again, with nothing held
  CHECK(a.own_bytes() <= 4096);
  CHECK(b.own_bytes() <= 4096);
}
