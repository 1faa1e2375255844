#include "tail/followed_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace logpulse::tail {

namespace {
std::int64_t mtime_of(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// pread() of exactly `n` bytes at `offset`; false on error (then `*error` is its errno) or
// a short file.
bool read_exactly(int fd, char* out, std::size_t n, std::uint64_t offset, int* error = nullptr) {
  std::size_t have = 0;
  while (have < n) {
    ssize_t got = ::pread(fd, out + have, n - have, static_cast<off_t>(offset + have));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && error) *error = errno;
    if (got <= 0) return false;
    have += static_cast<std::size_t>(got);
  }
  return true;
}
}  // namespace

FollowedFile::FollowedFile(ReadBuffer& buffer, int fd, FileIdentity identity, std::string path,
                           std::uint64_t offset, bool in_cut_line)
    : fd_(fd), identity_(identity), path_(std::move(path)), splitter_(buffer) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0) {
    size_ = static_cast<std::uint64_t>(st.st_size);
    mtime_ns_ = mtime_of(st);
  }
  if (offset > size_) offset = 0;  // shrank below the checkpoint: the content is new
  read_offset_ = line_start_offset_ = committed_offset_ = offset;
  if (in_cut_line && offset > 0) {
    splitter_.resume_skipping();
    committed_in_cut_line_ = true;
  }
  const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(offset, kTailBytes));
  if (length > 0 && read_exactly(fd_, tail_.data(), length, offset - length))
    tail_length_ = static_cast<std::uint8_t>(length);
}

FollowedFile::~FollowedFile() {
  if (fd_ >= 0) ::close(fd_);
}

void FollowedFile::restart_from_zero() {
  splitter_.reset();
  read_offset_ = line_start_offset_ = committed_offset_ = 0;
  committed_in_cut_line_ = false;
  tail_length_ = 0;
  if (auto fresh = identify(fd_)) identity_ = *fresh;
}

void FollowedFile::remember_tail(const char* data, std::size_t n) {
  if (n >= kTailBytes) {
    std::memcpy(tail_.data(), data + n - kTailBytes, kTailBytes);
    tail_length_ = kTailBytes;
    return;
  }
  const std::size_t keep = std::min<std::size_t>(tail_length_, kTailBytes - n);
  std::memmove(tail_.data(), tail_.data() + tail_length_ - keep, keep);
  std::memcpy(tail_.data() + keep, data, n);
  tail_length_ = static_cast<std::uint8_t>(keep + n);
}

// The bytes just before our position are no longer what we read there: the file was cut
// and rewritten (at least) past our position. Only asked beyond the fingerprinted head,
// which the fingerprint already covers.
bool FollowedFile::tail_changed(int& error) const {
  if (tail_length_ == 0 || read_offset_ <= identity_.fingerprint_length) return false;
  std::array<char, kTailBytes> now{};
  if (!read_exactly(fd_, now.data(), tail_length_, read_offset_ - tail_length_, &error)) return error == 0;
  return std::memcmp(now.data(), tail_.data(), tail_length_) != 0;
}

FollowedFile::Change FollowedFile::check() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    last_error_ = errno;
    return Change::kNone;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::int64_t mtime_ns = mtime_of(st);
  const bool changed = size != size_ || mtime_ns != mtime_ns_ || recheck_content_;
  size_ = size;
  mtime_ns_ = mtime_ns;
  if (size < read_offset_) {
    restart_from_zero();
    return Change::kTruncated;
  }
  if (!changed) return read_offset_ < size ? Change::kGrew : Change::kNone;
  // Same size or larger: copytruncate followed by new writes shows as other first bytes,
  // or, behind a fixed header, as other bytes just before our position.
  // A read that fails says nothing about the content: it is an error, retried at the next
  // check, never a truncation.
  if (identity_.fingerprint_length > 0) {
    int error = 0;
    auto prefix = fingerprint_prefix(fd_, identity_.fingerprint_length, &error);
    const bool rewritten = !prefix ? error == 0 : *prefix != identity_.fingerprint || tail_changed(error);
    if (error != 0) {
      last_error_ = error;
      recheck_content_ = true;
      return Change::kNone;
    }
    recheck_content_ = false;
    if (rewritten) {
      restart_from_zero();
      return Change::kTruncated;
    }
  }
  if (identity_.fingerprint_length < kFingerprintBytes && size > identity_.fingerprint_length) {
    if (auto longer = identify(fd_))
      identity_ = *longer;
    else
      last_error_ = errno;
  }
  return read_offset_ < size ? Change::kGrew : Change::kNone;
}

core::Generator<const LineBatch&> FollowedFile::read_available(std::size_t max_batches) {
  at_eof_ = false;
  std::size_t batches = 0;
  LineBatch& batch = splitter_.batch();
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
    remember_tail(space.data(), static_cast<std::size_t>(n));
    splitter_.commit_read(static_cast<std::size_t>(n));
    line_start_offset_ += batch.bytes;
    // Inside a cut line everything read so far is consumed: the cut part was delivered and
    // the rest is skipped, so a restart must not deliver that line again.
    batch.ends_in_cut_line = splitter_.skipping();
    batch.end_offset = batch.ends_in_cut_line ? read_offset_ : line_start_offset_;
    batch.path = &path_;
    if (!batch.lines.empty() || batch.bytes > 0) {
      ++batches;
      co_yield batch;
    }
  }
}

}  // namespace logpulse::tail
