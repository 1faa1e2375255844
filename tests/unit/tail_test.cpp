#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "core/generator.h"
#include "core/glob.h"
#include "tail/checkpoint_store.h"
#include "tail/file_identity.h"
#include "tail/followed_file.h"

using namespace logpulse;
using namespace logpulse::tail;
using logpulse::core::glob_error;
using logpulse::core::is_excluded;
using logpulse::core::LineBatch;
using logpulse::core::literal_directory;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    char name[] = "/tmp/logpulse-unit-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { fs::remove_all(path); }
};

void write_file(const fs::path& p, const std::string& data, bool append = false) {
  std::ofstream out(p, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  out << data;
}

// One read buffer per line limit, shared by the files the tests open (as a follower shares one).
ReadBuffer& shared_buffer(std::size_t max_line) {
  static std::map<std::size_t, std::unique_ptr<ReadBuffer>> buffers;
  auto& buffer = buffers[max_line];
  if (!buffer) buffer = std::make_unique<ReadBuffer>(max_line);
  return *buffer;
}

std::unique_ptr<FollowedFile> open_followed(const fs::path& p, std::uint64_t offset = 0, std::size_t max_line = 1024) {
  int fd = ::open(p.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  auto id = identify(fd);
  REQUIRE(id);
  return std::make_unique<FollowedFile>(shared_buffer(max_line), fd, *id, p.string(), offset);
}

std::vector<std::string> read_all(FollowedFile& file) {
  std::vector<std::string> lines;
  for (const LineBatch& batch : file.read_available(0)) {
    for (auto line : batch.lines) lines.emplace_back(line);
    file.commit(batch);
  }
  return lines;
}
}  // namespace

TEST_CASE("generator yields lazily and ends") {
  int produced = 0;
  auto numbers = [&]() -> core::Generator<const int&> {
    for (int i = 0; i < 3; ++i) {
      ++produced;
      co_yield i;
    }
  };
  auto gen = numbers();
  CHECK(produced == 0);
  std::vector<int> seen;
  for (int v : gen) seen.push_back(v);
  CHECK(seen == std::vector<int>{0, 1, 2});
  CHECK(produced == 3);
}

TEST_CASE("generator rethrows an error from its body to the consumer") {
  auto failing = []() -> core::Generator<const int&> {
    co_yield 1;
    throw std::runtime_error("stage failed");
  };
  auto gen = failing();
  REQUIRE(gen.next() != nullptr);
  CHECK_THROWS_WITH(gen.next(), "stage failed");
}

TEST_CASE("glob validation and exclusion") {
  CHECK_FALSE(glob_error("/var/log/*.log"));
  CHECK_FALSE(glob_error("/var/log/[ab]*.log"));
  CHECK_FALSE(glob_error("/var/log/[]x]"));
  CHECK(glob_error("/var/log/[ab.log"));
  CHECK(glob_error(""));
  CHECK(glob_error("/var/[a/b]"));
  CHECK(is_excluded("/var/log/a.log.gz", {"*.gz"}));
  CHECK_FALSE(is_excluded("/var/log/a.log", {"*.gz"}));
  CHECK(is_excluded("/var/log/old/a.log", {"/var/log/old/*"}));
  CHECK(literal_directory("/var/log/*/x.log") == "/var/log");
  CHECK(literal_directory("/var/log/app.log") == "/var/log");
  CHECK(literal_directory("app.log") == ".");
  CHECK(literal_directory("/app.log") == "/");
}

TEST_CASE("a followed file reads lines, holds a partial one, and resumes") {
  TempDir dir;
  fs::path p = dir.path / "a.log";
  write_file(p, "one\ntwo\npart");
  auto file = open_followed(p);
  CHECK(read_all(*file) == std::vector<std::string>{"one", "two"});
  CHECK(file->committed_offset() == 8);
  write_file(p, "ial\nthree\n", true);
  CHECK(file->check() == FollowedFile::Change::kGrew);
  CHECK(read_all(*file) == std::vector<std::string>{"partial", "three"});
  CHECK(file->check() == FollowedFile::Change::kNone);
}

TEST_CASE("truncation below the read position restarts at zero") {
  TempDir dir;
  fs::path p = dir.path / "a.log";
  write_file(p, "aaaa\nbbbb\ncccc\n");
  auto file = open_followed(p);
  read_all(*file);
  write_file(p, "x\n");  // truncate + rewrite shorter
  CHECK(file->check() == FollowedFile::Change::kTruncated);
  CHECK(read_all(*file) == std::vector<std::string>{"x"});
}

TEST_CASE("copytruncate followed by more data than before is noticed by the first bytes") {
  TempDir dir;
  fs::path p = dir.path / "a.log";
  write_file(p, "first line\n");
  auto file = open_followed(p);
  read_all(*file);
  write_file(p, "another line that is longer\nand more\n");
  CHECK(file->check() == FollowedFile::Change::kTruncated);
  CHECK(read_all(*file) == std::vector<std::string>{"another line that is longer", "and more"});
}

TEST_CASE("a start offset beyond the file's size reads from zero") {
  TempDir dir;
  fs::path p = dir.path / "a.log";
  write_file(p, "short\n");
  auto file = open_followed(p, 1000);
  CHECK(read_all(*file) == std::vector<std::string>{"short"});
}

TEST_CASE("identity: same inode with other first bytes is another file") {
  TempDir dir;
  fs::path p = dir.path / "a.log";
  write_file(p, "hello\n");
  int fd = ::open(p.c_str(), O_RDONLY);
  auto id = identify(fd);
  REQUIRE(id);
  CHECK(id->fingerprint_length == 6);
  CHECK(fingerprint_prefix(fd, 6) == id->fingerprint);
  write_file(p, "jello\n");
  CHECK(fingerprint_prefix(fd, 6) != id->fingerprint);
  ::close(fd);
}

TEST_CASE("checkpoints round-trip and reject corrupt or half-written files") {
  std::vector<CheckpointEntry> entries{
      {"app", {1, 2, 3, 0xabcdef}, 42, false, "/var/log/a b%.log"},
      {"other source", {4, 5, 0, 0}, 7, true, ""},
  };
  std::string text = encode_checkpoints(entries);
  CheckpointLoad back = decode_checkpoints(text);
  CHECK(back.problem.empty());
  REQUIRE(back.entries.size() == 2);
  CHECK(back.entries[0].source == "app");
  CHECK(back.entries[0].identity.inode == 2);
  CHECK(back.entries[0].identity.fingerprint == 0xabcdef);
  CHECK(back.entries[0].offset == 42);
  CHECK(back.entries[0].path == "/var/log/a b%.log");
  CHECK(back.entries[1].source == "other source");
  CHECK(back.entries[1].path.empty());
  CHECK(back.entries[1].offset == 7);
  CHECK(back.entries[1].in_cut_line);
  CHECK_FALSE(back.entries[0].in_cut_line);

  CHECK_FALSE(decode_checkpoints(text.substr(0, text.size() / 2)).problem.empty());
  std::string edited = text;
  edited[text.find("42")] = '9';
  CHECK_FALSE(decode_checkpoints(edited).problem.empty());
  CHECK_FALSE(decode_checkpoints("\x01\x02garbage").problem.empty());
  CHECK(decode_checkpoints("\x01\x02garbage").entries.empty());
}

TEST_CASE("checkpoints are saved atomically and loaded back") {
  TempDir dir;
  save_checkpoints(dir.path.string(), {{"app", {7, 8, 1, 9}, 100, false, "/x"}});
  CHECK_FALSE(fs::exists(dir.path / "checkpoint.v1.tmp"));
  CheckpointLoad back = load_checkpoints(dir.path.string());
  CHECK(back.problem.empty());
  REQUIRE(back.entries.size() == 1);
  CHECK(back.entries[0].offset == 100);
  CHECK(load_checkpoints((dir.path / "absent").string()).entries.empty());
}

TEST_CASE("a cut line delivered before its newline is not delivered again after a restart") {
  TempDir dir;
  fs::path p = dir.path / "a.log";
  write_file(p, "short\n" + std::string(100, 'x'));
  auto first = open_followed(p, 0, 16);
  CHECK(read_all(*first) == std::vector<std::string>{"short", std::string(16, 'x')});
  CHECK(first->committed_in_cut_line());
  CHECK(first->committed_offset() == 106);
  // Restart from that checkpoint: the rest of the cut line is skipped, the next line read.
  write_file(p, std::string(50, 'y') + "\nnext\n", true);
  int fd = ::open(p.c_str(), O_RDONLY);
  auto id = identify(fd);
  FollowedFile resumed(shared_buffer(16), fd, *id, p.string(), first->committed_offset(),
                       first->committed_in_cut_line());
  CHECK(read_all(resumed) == std::vector<std::string>{"next"});
  CHECK_FALSE(resumed.committed_in_cut_line());
  CHECK(resumed.committed_offset() == 106 + 51 + 5);
}

TEST_CASE("a rewrite behind an unchanged header that grows past the read position is a truncation") {
  TempDir dir;
  fs::path p = dir.path / "a.csv";
  const std::string header = "time,host,status,bytes,path" + std::string(300, ' ') + "\n";
  std::string first = header;
  for (int i = 0; i < 100; ++i) first += "old," + std::to_string(i) + ",200,1,/a\n";
  write_file(p, first);
  auto file = open_followed(p);
  CHECK(read_all(*file).size() == 101);
  // Cut and rewritten: the same first 256 bytes, then other lines, past our position.
  std::string second = header;
  for (int i = 0; i < 200; ++i) second += "new," + std::to_string(i) + ",500,2,/b\n";
  write_file(p, second);
  CHECK(file->check() == FollowedFile::Change::kTruncated);
  CHECK(read_all(*file).size() == 201);
}

TEST_CASE("a file resumed from an offset notices a rewrite behind its header too") {
  TempDir dir;
  fs::path p = dir.path / "a.csv";
  const std::string header(300, 'h');
  write_file(p, header + "\n" + std::string(100, 'a') + "\n");
  auto file = open_followed(p, 402);
  write_file(p, header + "\n" + std::string(100, 'b') + "\n" + "more\n");
  CHECK(file->check() == FollowedFile::Change::kTruncated);
  CHECK(read_all(*file).size() == 3);
}

TEST_CASE("appending is not taken for a rewrite") {
  TempDir dir;
  fs::path p = dir.path / "a.log";
  write_file(p, std::string(300, 'h') + "\n");
  auto file = open_followed(p);
  CHECK(read_all(*file).size() == 1);
  for (int i = 0; i < 50; ++i) {
    write_file(p, "line " + std::to_string(i) + "\n", true);
    CHECK(file->check() == FollowedFile::Change::kGrew);
    CHECK(read_all(*file) == std::vector<std::string>{"line " + std::to_string(i)});
  }
}
