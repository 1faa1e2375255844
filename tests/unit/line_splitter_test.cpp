#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tail/line_splitter.h"

using namespace logpulse::tail;

namespace {
// Feeds `chunks` one by one; returns every line emitted, copied.
struct Fed {
  std::vector<std::string> lines;
  std::uint64_t bytes = 0;
  std::uint64_t truncated = 0;
};

Fed feed(LineSplitter& splitter, const std::vector<std::string>& chunks) {
  Fed out;
  LineBatch batch;
  for (const auto& chunk : chunks) {
    auto space = splitter.writable();
    REQUIRE(space.size() >= chunk.size());
    std::memcpy(space.data(), chunk.data(), chunk.size());
    splitter.commit_read(chunk.size(), batch);
    for (auto line : batch.lines) out.lines.emplace_back(line);
    out.bytes += batch.bytes;
    out.truncated += batch.lines_truncated;
  }
  return out;
}
}  // namespace

TEST_CASE("complete lines are split and a partial last line is held") {
  LineSplitter splitter(64);
  Fed fed = feed(splitter, {"one\ntwo\nthr", "ee\n", "four"});
  CHECK(fed.lines == std::vector<std::string>{"one", "two", "three"});
  CHECK(fed.bytes == 14);
  CHECK(splitter.held_bytes() == 4);
  fed = feed(splitter, {"\n"});
  CHECK(fed.lines == std::vector<std::string>{"four"});
  CHECK(fed.bytes == 5);
}

TEST_CASE("CRLF is one line end; a lone CR stays in the line; empty lines count") {
  LineSplitter splitter(64);
  Fed fed = feed(splitter, {"a\r\nb\rc\n\n\r\n"});
  CHECK(fed.lines == std::vector<std::string>{"a", "b\rc", "", ""});
  CHECK(fed.bytes == 10);
}

TEST_CASE("a CRLF split across reads is still one line end") {
  LineSplitter splitter(64);
  Fed fed = feed(splitter, {"abc\r", "\n"});
  CHECK(fed.lines == std::vector<std::string>{"abc"});
}

TEST_CASE("an overlong line is emitted once, cut, and its tail skipped") {
  LineSplitter splitter(16);
  std::string longline(40, 'x');
  Fed fed = feed(splitter, {longline + "\nshort\n"});
  CHECK(fed.lines == std::vector<std::string>{std::string(16, 'x'), "short"});
  CHECK(fed.truncated == 1);
  CHECK(fed.bytes == 41 + 6);
}

TEST_CASE("an overlong line arriving in pieces is cut when the limit is reached") {
  LineSplitter splitter(16);
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
  LineSplitter splitter(8);
  Fed fed = feed(splitter, {"12345678", "\r\n", "abcdefgh\n"});
  CHECK(fed.lines == std::vector<std::string>{"12345678", "abcdefgh"});
  CHECK(fed.truncated == 0);
}

TEST_CASE("NUL bytes and invalid UTF-8 are ordinary line content") {
  LineSplitter splitter(64);
  std::string content("a\0b\xff\xfe\n", 6);
  Fed fed = feed(splitter, {content});
  REQUIRE(fed.lines.size() == 1);
  CHECK(fed.lines[0] == std::string("a\0b\xff\xfe", 5));
}

TEST_CASE("reset drops the held partial line") {
  LineSplitter splitter(64);
  feed(splitter, {"partial"});
  splitter.reset();
  Fed fed = feed(splitter, {"new\n"});
  CHECK(fed.lines == std::vector<std::string>{"new"});
}

TEST_CASE("many reads through a small buffer keep every line exactly once") {
  LineSplitter splitter(32);
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
