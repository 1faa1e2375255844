#include "tail/checkpoint_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/text_escape.h"

namespace logpulse::tail {
namespace {

constexpr const char* kHeader = "logpulse-checkpoint 1";
constexpr const char* kFileName = "checkpoint.v1";

void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

std::string checkpoint_path(const std::string& state_dir) { return state_dir + "/" + kFileName; }

std::string encode_checkpoints(const std::vector<CheckpointEntry>& entries, const CheckpointState& state) {
  std::string body = std::string(kHeader) + "\n";
  char numbers[160];
  for (const auto& e : entries) {
    std::snprintf(numbers, sizeof numbers, " %" PRIu64 " %" PRIu64 " %" PRIu32 " %016" PRIx64 " %" PRIu64 "%s ",
                  e.identity.device, e.identity.inode, e.identity.fingerprint_length,
                  e.identity.fingerprint, e.offset, e.in_cut_line ? "+" : "");
    body += "f " + core::encode_token(e.source) + numbers + core::encode_token(e.path) + "\n";
  }
  for (const auto& line : state.metric_lines) body += "x " + line + "\n";
  for (const auto& [key, record] : state.pending_records)
    body += "p " + core::encode_token(key) + " " + core::encode_token(record) + "\n";
  for (const auto& [name, contents] : state.windows)
    body += "w " + core::encode_token(name) + " " + core::encode_token(contents) + "\n";
  for (const auto& line : state.alert_lines) body += "a " + line + "\n";
  char trailer[48];
  std::snprintf(trailer, sizeof trailer, "end %016" PRIx64 "\n", fnv1a(body.data(), body.size()));
  return body + trailer;
}

CheckpointLoad decode_checkpoints(const std::string& text) {
  CheckpointLoad out;
  auto end_at = text.rfind("end ");
  if (text.rfind(kHeader, 0) != 0 || end_at == std::string::npos) {
    out.problem = "not a logpulse checkpoint (bad header or no end marker)";
    return out;
  }
  std::uint64_t want = 0;
  if (std::sscanf(text.c_str() + end_at, "end %" SCNx64, &want) != 1 ||
      fnv1a(text.data(), end_at) != want) {
    out.problem = "checksum mismatch (half-written or edited file)";
    return out;
  }
  std::istringstream lines(text.substr(0, end_at));
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    if (line.rfind("x ", 0) == 0) {
      out.state.metric_lines.push_back(line.substr(2));
      continue;
    }
    if (line.rfind("a ", 0) == 0) {
      out.state.alert_lines.push_back(line.substr(2));
      continue;
    }
    if (line.rfind("w ", 0) == 0) {
      std::istringstream fields(line.substr(2));
      std::string name, contents, name_text, contents_text;
      fields >> name >> contents;
      // A window that cannot be read starts empty; offsets and the rest still count.
      if (fields && core::decode_token(name, name_text) && core::decode_token(contents, contents_text))
        out.state.windows.emplace_back(std::move(name_text), std::move(contents_text));
      continue;
    }
    if (line.rfind("p ", 0) == 0) {
      std::istringstream fields(line.substr(2));
      std::string source, record, source_text, record_text;
      fields >> source >> record;
      if (!fields || !core::decode_token(source, source_text) || !core::decode_token(record, record_text)) {
        out.problem = "malformed pending record";
        out.entries.clear();
        out.state = {};
        return out;
      }
      out.state.pending_records.emplace_back(std::move(source_text), std::move(record_text));
      continue;
    }
    std::istringstream fields(line);
    std::string tag, source, path, fp_hex, offset;
    CheckpointEntry e;
    fields >> tag >> source >> e.identity.device >> e.identity.inode >> e.identity.fingerprint_length >>
        fp_hex >> offset >> path;
    e.in_cut_line = !offset.empty() && offset.back() == '+';
    if (e.in_cut_line) offset.pop_back();
    auto [end, ec] = std::from_chars(offset.data(), offset.data() + offset.size(), e.offset);
    if (!fields || tag != "f" || ec != std::errc() || end != offset.data() + offset.size() ||
        !core::decode_token(source, e.source) || !core::decode_token(path, e.path)) {
      out.entries.clear();
      out.state = {};
      out.problem = "malformed entry: " + line.substr(0, 80);
      return out;
    }
    e.identity.fingerprint = std::strtoull(fp_hex.c_str(), nullptr, 16);
    out.entries.push_back(std::move(e));
  }
  return out;
}

CheckpointLoad load_checkpoints(const std::string& state_dir) {
  std::ifstream in(checkpoint_path(state_dir), std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  CheckpointLoad load = decode_checkpoints(text.str());
  struct stat st {};
  if (::stat(checkpoint_path(state_dir).c_str(), &st) == 0) {
    const std::int64_t written_at =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    for (auto& entry : load.entries) entry.written_at_ns = written_at;
  }
  return load;
}

void save_checkpoints(const std::string& state_dir, const std::vector<CheckpointEntry>& entries,
                      const CheckpointState& state) {
  const std::string data = encode_checkpoints(entries, state);
  const std::string final_path = checkpoint_path(state_dir);
  const std::string temp_path = final_path + ".tmp";
  int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("open " + temp_path);
  std::size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      errno = saved;
      throw_errno("write " + temp_path);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    throw_errno("fsync " + temp_path);
  }
  ::close(fd);
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) throw_errno("rename " + temp_path);
  int dir = ::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace logpulse::tail
