// FileIdentity: what makes a followed file the same file across renames and restarts:
// device + inode + a fingerprint (hash) of its first bytes, so a reused inode holding other
// content is a different file. Plain value; safe for concurrent reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace logpulse::tail {

inline constexpr std::size_t kFingerprintBytes = 256;

struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint32_t fingerprint_length = 0;  // how many first bytes the hash covers (<= kFingerprintBytes)
  std::uint64_t fingerprint = 0;         // FNV-1a of those bytes

  bool same_inode(const FileIdentity& other) const {
    return device == other.device && inode == other.inode;
  }
  std::string to_string() const;  // "dev:ino:len:hash", for logs and /api/v1/sources
};

std::uint64_t fnv1a(const char* data, std::size_t size);

// Hash of the first `length` bytes of the open file `fd`, or nullopt if it has fewer bytes
// now or the read failed (then `*error`, when given, is the errno; 0 for a short file).
std::optional<std::uint64_t> fingerprint_prefix(int fd, std::uint32_t length, int* error = nullptr);

// The identity of the open file `fd`: its dev/inode and the fingerprint of up to
// kFingerprintBytes first bytes. Nullopt when fstat/pread fails.
std::optional<FileIdentity> identify(int fd);

}  // namespace logpulse::tail
