// Discovery: which regular files a source's globs name right now (symlinks followed,
// excluded names and non-regular files left out), and which directories to watch for them.
// Pure function of the file system; safe for concurrent use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace logpulse::tail {

struct FoundFile {
  std::string path;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
};

struct Discovery {
  std::vector<FoundFile> files;          // one entry per (device, inode), first path wins
  std::vector<std::string> skipped;      // matched but not regular files (directories, fifos)
  std::vector<std::string> unreadable;   // matched but stat() failed for another reason than ENOENT
  std::vector<std::string> directories;  // existing directories holding the globs' matches
};

Discovery discover(const std::vector<std::string>& paths, const std::vector<std::string>& exclude);

std::string parent_directory(const std::string& path);
std::string base_name(const std::string& path);

}  // namespace logpulse::tail
