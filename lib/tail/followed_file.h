// FollowedFile: one open log file being read: its descriptor, identity, read position and
// line splitter. read_available() is a generator of LineBatch from the committed position
// to the current end of the file; commit() records how far the consumer has processed.
// check() notices truncation and copytruncate: the size fell below our position, the first
// bytes changed, or the bytes just before our position changed (the file was cut and
// rewritten past our position between two looks, behind an unchanged header).
// Reading goes through a ReadBuffer shared with the other files of the same reader, so an
// idle file keeps only its state and any partial line. Not thread safe. Owns the
// descriptor (closed on destruction); the ReadBuffer must outlive it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "core/generator.h"
#include "tail/file_identity.h"
#include "tail/line_batch.h"
#include "tail/line_splitter.h"
#include "tail/read_buffer.h"

namespace logpulse::tail {

class FollowedFile {
 public:
  // Takes ownership of `fd`. Reading starts at `offset` (clamped to the file's size);
  // `in_cut_line`: that offset is inside a cut line already delivered, skip to its end.
  FollowedFile(ReadBuffer& buffer, int fd, FileIdentity identity, std::string path, std::uint64_t offset,
               bool in_cut_line = false);
  ~FollowedFile();
  FollowedFile(const FollowedFile&) = delete;
  FollowedFile& operator=(const FollowedFile&) = delete;

  enum class Change { kNone, kGrew, kTruncated };
  // fstat()s the file. kTruncated: the content was cut or replaced; reading restarts at 0.
  Change check();

  // Batches of complete lines, up to `max_batches` reads (0: no limit), until the end of
  // the file. Each batch is valid until the generator is resumed. at_eof() tells whether
  // the generator stopped at the end of the file or at the batch limit.
  core::Generator<const LineBatch&> read_available(std::size_t max_batches);

  void commit(const LineBatch& batch) {
    committed_offset_ = batch.end_offset;
    committed_in_cut_line_ = batch.ends_in_cut_line;
  }
  bool committed_in_cut_line() const { return committed_in_cut_line_; }
  // Reading stops at `end` as if the file ended there (replay reads a file in ranges).
  void set_read_limit(std::uint64_t end) { read_limit_ = end; }

  const FileIdentity& identity() const { return identity_; }
  const std::string& path() const { return path_; }
  void set_path(std::string path) { path_ = std::move(path); }
  int fd() const { return fd_; }
  std::uint64_t committed_offset() const { return committed_offset_; }
  std::uint64_t size() const { return size_; }
  std::int64_t mtime_ns() const { return mtime_ns_; }
  std::uint64_t lag_bytes() const { return size_ > committed_offset_ ? size_ - committed_offset_ : 0; }
  bool at_eof() const { return at_eof_; }
  // The errno of the last failed fstat/read since the last call (0: none), and clears it.
  int take_error() { return std::exchange(last_error_, 0); }

 private:
  static constexpr std::size_t kTailBytes = 64;

  void restart_from_zero();
  void remember_tail(const char* data, std::size_t n);
  // `error`: the errno of a failed read (the answer is then meaningless), else untouched.
  bool tail_changed(int& error) const;

  int fd_;
  FileIdentity identity_;
  std::string path_;
  LineSplitter splitter_;
  std::uint64_t read_offset_;       // next byte to read
  std::uint64_t line_start_offset_; // first byte not yet part of a finished line
  std::uint64_t committed_offset_;  // what the consumer confirmed
  std::uint64_t size_ = 0;
  std::uint64_t read_limit_ = UINT64_MAX;
  std::int64_t mtime_ns_ = -1;
  std::array<char, kTailBytes> tail_{};  // the last bytes before read_offset_
  std::uint8_t tail_length_ = 0;
  bool committed_in_cut_line_ = false;
  bool at_eof_ = false;
  bool recheck_content_ = false;  // a read of the first or last bytes failed: look again
  int last_error_ = 0;
};

}  // namespace logpulse::tail
