// FileStatus: where following one file stands (its path, identity, committed offset, size
// and lag), as the follower reports it for the status board and /api/v1/sources.
// A plain value: copy it freely; it holds no reference into the follower.
#pragma once

#include <cstdint>
#include <string>

namespace logpulse::core {

struct FileStatus {
  std::string path;
  std::string identity;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint64_t lag = 0;
  const char* state = "following";  // following | draining
};

}  // namespace logpulse::core
