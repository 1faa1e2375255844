#include "pipeline/replay.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ostream>
#include <spdlog/spdlog.h>

#include "core/text_escape.h"
#include "tail/discovery.h"
#include "tail/followed_file.h"

namespace logpulse::pipeline {

namespace {

class ProgressLine {
 public:
  ProgressLine(std::FILE* out, std::uint64_t total_bytes) : out_(out), total_(total_bytes) {}
  ~ProgressLine() {
    if (out_ && drawn_) std::fputs("\r\033[K", out_);
  }
  void update(std::uint64_t bytes, std::uint64_t lines) {
    if (!out_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    drawn_ = true;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double fraction = total_ ? static_cast<double>(bytes) / static_cast<double>(total_) : 1.0;
    const double eta = fraction > 0 ? seconds / fraction - seconds : 0;
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::fprintf(out_, "\r[%.*s%*s] %5.1f%%  %.1f/%.1f MiB  %.0f lines/s  ETA %.0fs\033[K", filled,
                 "##############################", width - filled, "", fraction * 100, bytes / 1048576.0,
                 total_ / 1048576.0, seconds > 0 ? lines / seconds : 0.0, eta);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  std::uint64_t total_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

ReplayResult replay(const config::Config& config, const std::vector<std::string>& logs,
                    metrics::SelfMetrics& self_metrics, RulePipeline& rules, std::ostream* explain,
                    std::FILE* progress) {
  struct Plan {
    std::size_t index;
    const config::Source* source;
    std::vector<std::string> paths;
  };
  std::vector<Plan> plans;
  std::uint64_t total_bytes = 0;
  for (std::size_t index = 0; index < config.sources.size(); ++index) {
    const config::Source& source = config.sources[index];
    Plan plan{index, &source, {}};
    tail::Discovery found = tail::discover(logs.empty() ? source.paths : logs, logs.empty() ? source.exclude
                                                                                            : std::vector<std::string>{});
    for (auto& file : found.files) {
      struct stat st {};
      if (::stat(file.path.c_str(), &st) == 0) total_bytes += static_cast<std::uint64_t>(st.st_size);
      plan.paths.push_back(std::move(file.path));
    }
    for (const auto& path : found.skipped) spdlog::warn("{} is not a regular file: skipped", path);
    plans.push_back(std::move(plan));
  }

  ReplayResult result;
  ProgressLine bar(progress, total_bytes);
  for (const auto& plan : plans) {
    auto metrics = self_metrics.for_source(plan.source->name);
    match::SourceMatcher& matcher = rules.matcher(plan.index);
    std::uint64_t line_number = 0;
    for (const auto& path : plan.paths) {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      auto identity = fd >= 0 ? tail::identify(fd) : std::nullopt;
      if (!identity) {
        spdlog::error("cannot read {}: {}", path, std::strerror(errno));
        if (fd >= 0) ::close(fd);
        ++result.unreadable_files;
        continue;
      }
      tail::FollowedFile file(fd, *identity, path, 0, plan.source->max_line_bytes);
      ++result.files;
      for (auto& batch : file.read_available(0)) {
        if (explain) {
          for (auto line : batch.lines) {
            *explain << path << ':' << ++line_number << ": " << core::repair_utf8(line) << '\n';
            matcher.explain(line, 0, *explain);
          }
        } else {
          matcher.process(batch.lines, 0);
        }
        file.commit(batch.end_offset);
        metrics->record_batch(batch.lines.size(), batch.bytes, batch.lines_truncated);
        result.lines += batch.lines.size();
        result.bytes += batch.bytes;
        bar.update(result.bytes, result.lines);
      }
    }
    if (!explain) matcher.flush(0);
    metrics->files_followed.Set(0);
  }
  return result;
}

}  // namespace logpulse::pipeline
