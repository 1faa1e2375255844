#include "tail/discovery.h"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <set>
#include <utility>

#include "core/glob.h"

namespace logpulse::tail {

std::string parent_directory(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Discovery discover(const std::vector<std::string>& paths, const std::vector<std::string>& exclude) {
  Discovery out;
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  std::set<std::string> directories;
  auto add_directory = [&](const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && directories.insert(dir).second)
      out.directories.push_back(dir);
  };
  for (const auto& pattern : paths) {
    add_directory(core::literal_directory(pattern));
    std::vector<std::string> candidates =
        core::has_glob_chars(pattern) ? core::expand_glob(pattern) : std::vector<std::string>{pattern};
    for (auto& path : candidates) {
      if (core::is_excluded(path, exclude)) continue;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR) out.unreadable.push_back(path);
        continue;
      }
      if (!S_ISREG(st.st_mode)) {
        out.skipped.push_back(path);
        continue;
      }
      add_directory(parent_directory(path));
      // A symlink's target may live elsewhere: watch the target's directory too.
      char resolved[PATH_MAX];
      if (::realpath(path.c_str(), resolved) != nullptr) add_directory(parent_directory(resolved));
      if (!seen.emplace(st.st_dev, st.st_ino).second) continue;
      out.files.push_back(
          FoundFile{std::move(path), static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)});
    }
  }
  return out;
}

}  // namespace logpulse::tail
