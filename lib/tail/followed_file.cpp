#include "tail/followed_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace logpulse::tail {

FollowedFile::FollowedFile(int fd, FileIdentity identity, std::string path, std::uint64_t offset,
                           std::size_t max_line_bytes, bool in_cut_line)
    : fd_(fd), identity_(identity), path_(std::move(path)), splitter_(max_line_bytes) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0) {
    size_ = static_cast<std::uint64_t>(st.st_size);
    mtime_ns_ = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  }
  if (offset > size_) offset = 0;  // shrank below the checkpoint: the content is new
  read_offset_ = line_start_offset_ = committed_offset_ = offset;
  if (in_cut_line && offset > 0) {
    splitter_.resume_skipping();
    committed_in_cut_line_ = true;
  }
  batch_.path = &path_;
}

FollowedFile::~FollowedFile() {
  if (fd_ >= 0) ::close(fd_);
}

void FollowedFile::restart_from_zero() {
  splitter_.reset();
  read_offset_ = line_start_offset_ = committed_offset_ = 0;
  committed_in_cut_line_ = false;
  if (auto fresh = identify(fd_)) identity_ = *fresh;
}

FollowedFile::Change FollowedFile::check() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    last_error_ = errno;
    return Change::kNone;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::int64_t mtime_ns =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  const bool changed = size != size_ || mtime_ns != mtime_ns_;
  size_ = size;
  mtime_ns_ = mtime_ns;
  if (size < read_offset_) {
    restart_from_zero();
    return Change::kTruncated;
  }
  if (!changed) return read_offset_ < size ? Change::kGrew : Change::kNone;
  // Same size or larger: copytruncate followed by new writes shows as other first bytes.
  if (identity_.fingerprint_length > 0) {
    auto prefix = fingerprint_prefix(fd_, identity_.fingerprint_length);
    if (!prefix || *prefix != identity_.fingerprint) {
      restart_from_zero();
      return Change::kTruncated;
    }
  }
  if (identity_.fingerprint_length < kFingerprintBytes && size > identity_.fingerprint_length) {
    if (auto longer = identify(fd_)) identity_ = *longer;
  }
  return read_offset_ < size ? Change::kGrew : Change::kNone;
}

core::Generator<const LineBatch&> FollowedFile::read_available(std::size_t max_batches) {
  at_eof_ = false;
  std::size_t batches = 0;
  for (;;) {
    if (max_batches != 0 && batches >= max_batches) co_return;
    std::span<char> space = splitter_.writable();
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(space.size(), read_limit_ - read_offset_));
    ssize_t n = want == 0 ? 0 : ::pread(fd_, space.data(), want, static_cast<off_t>(read_offset_));
    if (n < 0) {
      if (errno == EINTR) continue;
      last_error_ = errno;
      at_eof_ = true;
      co_return;
    }
    if (n == 0) {
      at_eof_ = true;
      co_return;
    }
    read_offset_ += static_cast<std::uint64_t>(n);
    if (read_offset_ > size_) size_ = read_offset_;
    splitter_.commit_read(static_cast<std::size_t>(n), batch_);
    line_start_offset_ += batch_.bytes;
    // Inside a cut line everything read so far is consumed: the cut part was delivered and
    // the rest is skipped, so a restart must not deliver that line again.
    batch_.ends_in_cut_line = splitter_.skipping();
    batch_.end_offset = batch_.ends_in_cut_line ? read_offset_ : line_start_offset_;
    if (!batch_.lines.empty() || batch_.bytes > 0) {
      ++batches;
      co_yield batch_;
    }
  }
}

}  // namespace logpulse::tail
