#include "remote/segment_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "remote/write_request.h"

namespace logpulse::remote {
namespace {

constexpr std::string_view kSuffix = ".seg";

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

SegmentStore::SegmentStore(std::string dir) : dir_(std::move(dir)) {
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error) throw std::system_error(error, "create " + dir_);
}

std::string SegmentStore::path_of(std::uint64_t sequence) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(sequence));
  return dir_ + "/" + name + std::string(kSuffix);
}

SegmentStore::Loaded SegmentStore::load() {
  Loaded loaded;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".tmp")) {  // a write a crash interrupted: never renamed, never whole
      std::filesystem::remove(entry.path(), error);
      continue;
    }
    if (!name.ends_with(kSuffix)) continue;
    std::uint64_t sequence = 0;
    const auto digits = std::string_view(name).substr(0, name.size() - kSuffix.size());
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
    if (ec != std::errc() || end != digits.data() + digits.size()) continue;  // not ours
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream data;
    data << in.rdbuf();
    auto series = in ? decode_write_request(data.str()) : std::nullopt;
    if (!series) {
      loaded.problems.push_back(entry.path().string() + ": not a readable segment, removed");
      std::filesystem::remove(entry.path(), error);
      continue;
    }
    loaded.segments.push_back(Segment{sequence, std::move(*series)});
  }
  if (error) loaded.problems.push_back(dir_ + ": " + error.message());
  std::sort(loaded.segments.begin(), loaded.segments.end(),
            [](const Segment& a, const Segment& b) { return a.sequence < b.sequence; });
  return loaded;
}

void SegmentStore::save(const Segment& segment) {
  const std::string final_path = path_of(segment.sequence);
  const std::string temp_path = final_path + ".tmp";
  const std::string data = encode_write_request(segment.series);
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno("open " + temp_path);
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      ::unlink(temp_path.c_str());
      errno = saved;
      throw_errno("write " + temp_path);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    ::unlink(temp_path.c_str());
    errno = saved;
    throw_errno("fsync " + temp_path);
  }
  ::close(fd);
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) throw_errno("rename " + temp_path);
  const int dir = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void SegmentStore::remove(std::uint64_t sequence) {
  const std::string path = path_of(sequence);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("unlink " + path);
}

}  // namespace logpulse::remote
