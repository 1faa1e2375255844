#include "tail/file_identity.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace logpulse::tail {

std::uint64_t fnv1a(const char* data, std::size_t size) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::optional<std::uint64_t> fingerprint_prefix(int fd, std::uint32_t length, int* error) {
  char buffer[kFingerprintBytes];
  if (error) *error = 0;
  if (length > kFingerprintBytes) return std::nullopt;
  std::size_t have = 0;
  while (have < length) {
    ssize_t n = ::pread(fd, buffer + have, length - have, static_cast<off_t>(have));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && error) *error = errno;
    if (n <= 0) return std::nullopt;
    have += static_cast<std::size_t>(n);
  }
  return fnv1a(buffer, length);
}

std::optional<FileIdentity> identify(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  FileIdentity id;
  id.device = st.st_dev;
  id.inode = st.st_ino;
  char buffer[kFingerprintBytes];
  ssize_t n = ::pread(fd, buffer, sizeof buffer, 0);
  if (n < 0) return std::nullopt;
  id.fingerprint_length = static_cast<std::uint32_t>(n);
  id.fingerprint = fnv1a(buffer, static_cast<std::size_t>(n));
  return id;
}

std::string FileIdentity::to_string() const {
  char text[96];
  std::snprintf(text, sizeof text, "%llu:%llu:%u:%016llx", static_cast<unsigned long long>(device),
                static_cast<unsigned long long>(inode), fingerprint_length,
                static_cast<unsigned long long>(fingerprint));
  return text;
}

}  // namespace logpulse::tail
