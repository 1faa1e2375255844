#include "tls/file_stamp.h"

#include <sys/stat.h>

namespace logpulse::tls {

std::string file_stamp(const std::string& path) {
  struct stat status {};
  if (path.empty() || ::stat(path.c_str(), &status) != 0) return {};
  return std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino) + ":" + std::to_string(status.st_size) +
         ":" + std::to_string(status.st_mtim.tv_sec) + "." + std::to_string(status.st_mtim.tv_nsec);
}

std::vector<std::string> file_stamps(std::initializer_list<std::string> paths) {
  std::vector<std::string> out;
  out.reserve(paths.size());
  for (const auto& path : paths) out.push_back(file_stamp(path));
  return out;
}

}  // namespace logpulse::tls
