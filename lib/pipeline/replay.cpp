#include "pipeline/replay.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <ostream>
#include <spdlog/spdlog.h>
#include <thread>

#include "core/text_escape.h"
#include "tail/discovery.h"
#include "tail/followed_file.h"

namespace logpulse::pipeline {

namespace {

// Below this, one thread is faster than starting another.
constexpr std::uint64_t kParallelMinBytes = 32u << 20;

class ProgressLine {
 public:
  ProgressLine(std::FILE* out, std::uint64_t total_bytes) : out_(out), total_(total_bytes) {}
  ~ProgressLine() {
    if (out_ && drawn_) std::fputs("\r\033[K", out_);
  }
  // Thread safe: any worker may report; one draws at a time, at most every 200 ms.
  void add(std::uint64_t bytes, std::uint64_t lines) {
    if (!out_) return;
    bytes_ += bytes;
    lines_ += lines;
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    drawn_ = true;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double done = static_cast<double>(bytes_.load());
    const double fraction = total_ ? std::min(1.0, done / static_cast<double>(total_)) : 1.0;
    const double eta = fraction > 0 ? seconds / fraction - seconds : 0;
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::fprintf(out_, "\r[%.*s%*s] %5.1f%%  %.1f/%.1f MiB  %.0f lines/s  ETA %.0fs\033[K", filled,
                 "##############################", width - filled, "", fraction * 100, done / 1048576.0,
                 total_ / 1048576.0, seconds > 0 ? static_cast<double>(lines_.load()) / seconds : 0.0, eta);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  std::uint64_t total_;
  std::atomic<std::uint64_t> bytes_{0}, lines_{0};
  std::mutex mutex_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

// A byte range of one file, read for one source.
struct WorkItem {
  std::size_t source;
  std::string path;
  std::uint64_t begin = 0;
  std::uint64_t end = UINT64_MAX;
  std::uint64_t size = 0;
};

// The first offset at or after `offset` that starts a line.
std::uint64_t next_line_start(const std::string& path, std::uint64_t offset, std::uint64_t size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return size;
  char buffer[64 * 1024];
  std::uint64_t at = offset;
  while (at < size) {
    ssize_t n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(at));
    if (n <= 0) break;
    if (auto* newline = static_cast<char*>(std::memchr(buffer, '\n', static_cast<std::size_t>(n)))) {
      ::close(fd);
      return at + static_cast<std::uint64_t>(newline - buffer) + 1;
    }
    at += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return size;
}

// Cuts the whole input (items in order) into `parts` consecutive ranges of similar size.
std::vector<std::vector<WorkItem>> split(const std::vector<WorkItem>& items, unsigned parts) {
  std::uint64_t total = 0;
  for (const auto& item : items) total += item.size;
  std::vector<std::vector<WorkItem>> out(parts);
  std::size_t part = 0;
  std::uint64_t done = 0;
  for (const auto& whole : items) {
    WorkItem item = whole;
    item.end = whole.size;
    while (item.begin < item.end) {
      const std::uint64_t part_end = total * (part + 1) / parts;
      if (part + 1 == parts || done + (item.end - item.begin) <= part_end) {
        done += item.end - item.begin;
        out[part].push_back(item);
        break;
      }
      std::uint64_t cut = next_line_start(item.path, item.begin + (part_end - done), item.end);
      WorkItem head = item;
      head.end = cut;
      if (head.end > head.begin) out[part].push_back(head);
      done += cut - item.begin;
      item.begin = cut;
      ++part;
    }
  }
  return out;
}

struct Counts {
  std::uint64_t files = 0, lines = 0, bytes = 0, unreadable = 0;
};

Counts read_items(const config::Config& config, const std::vector<WorkItem>& items, metrics::SelfMetrics& self_metrics,
                  RulePipeline& rules, std::ostream* explain, ProgressLine& bar) {
  Counts counts;
  std::vector<std::unique_ptr<metrics::SourceMetrics>> source_metrics(config.sources.size());
  for (const auto& item : items) {
    const config::Source& source = config.sources[item.source];
    auto& metrics = source_metrics[item.source];
    if (!metrics) metrics = self_metrics.for_source(source.name);
    match::SourceMatcher& matcher = rules.matcher(item.source);
    int fd = ::open(item.path.c_str(), O_RDONLY | O_CLOEXEC);
    auto identity = fd >= 0 ? tail::identify(fd) : std::nullopt;
    if (!identity) {
      spdlog::error("cannot read {}: {}", item.path, std::strerror(errno));
      if (fd >= 0) ::close(fd);
      ++counts.unreadable;
      continue;
    }
    tail::ReadBuffer buffer(source.max_line_bytes);
    tail::FollowedFile file(buffer, fd, *identity, item.path, item.begin);
    file.set_read_limit(item.end);
    if (item.begin == 0) ++counts.files;
    std::uint64_t line_number = 0;
    // A record's number is the number of its first line.
    auto header = [&](std::string_view record) {
      *explain << item.path << ':' << line_number + 1 << ": " << core::repair_utf8(record) << '\n';
      line_number += 1 + static_cast<std::uint64_t>(std::count(record.begin(), record.end(), '\n'));
    };
    for (const tail::LineBatch& batch : file.read_available(0)) {
      if (explain) {
        matcher.explain_lines(batch.lines, header, *explain);
      } else {
        matcher.process(batch, 0);
      }
      file.commit(batch);
      metrics->record_batch(batch.lines.size(), batch.bytes, batch.lines_truncated, batch.nul_bytes_skipped);
      counts.lines += batch.lines.size();
      counts.bytes += batch.bytes;
      bar.add(batch.bytes, batch.lines.size());
    }
    if (explain) matcher.explain_flush(header, *explain);
  }
  return counts;
}

}  // namespace

ReplayResult replay(const config::Config& config, const std::vector<std::string>& logs,
                    metrics::SelfMetrics& self_metrics, RulePipeline& rules, std::ostream* explain,
                    std::FILE* progress, unsigned threads) {
  std::vector<WorkItem> items;
  std::uint64_t total_bytes = 0;
  for (std::size_t index = 0; index < config.sources.size(); ++index) {
    const config::Source& source = config.sources[index];
    tail::Discovery found = tail::discover(logs.empty() ? source.paths : logs,
                                           logs.empty() ? source.exclude : std::vector<std::string>{});
    for (auto& file : found.files) {
      struct stat st {};
      std::uint64_t size = ::stat(file.path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
      total_bytes += size;
      items.push_back(WorkItem{index, std::move(file.path), 0, UINT64_MAX, size});
    }
    for (const auto& path : found.skipped) spdlog::warn("{} is not a regular file: skipped", path);
  }

  // Windows see the lines in order, in event time where rules have one.
  for (std::size_t i = 0; i < config.sources.size(); ++i) rules.matcher(i).set_window_time(match::WindowTime::kEventTime);
  const bool splittable = explain == nullptr && !rules.store().has_summaries() && config.windows.empty() &&
                          std::none_of(config.sources.begin(), config.sources.end(),
                                       [](const config::Source& s) { return !s.multiline_start.empty(); });
  if (!splittable || total_bytes < kParallelMinBytes) threads = 1;

  ProgressLine bar(progress, total_bytes);
  Counts total;
  if (threads <= 1) {
    total = read_items(config, items, self_metrics, rules, explain, bar);
  } else {
    auto parts = split(items, threads);
    std::vector<std::unique_ptr<RulePipeline>> copies;
    for (unsigned i = 1; i < threads; ++i) copies.push_back(std::make_unique<RulePipeline>(config, self_metrics));
    std::vector<Counts> counts(threads);
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < threads; ++i)
      workers.emplace_back([&, i] { counts[i] = read_items(config, parts[i], self_metrics, *copies[i - 1], nullptr, bar); });
    counts[0] = read_items(config, parts[0], self_metrics, rules, nullptr, bar);
    for (auto& worker : workers) worker.join();
    for (const auto& copy : copies) rules.store().merge_from(copy->store(), 0);
    for (const auto& c : counts) {
      total.files += c.files;
      total.lines += c.lines;
      total.bytes += c.bytes;
      total.unreadable += c.unreadable;
    }
  }
  if (!explain)
    for (std::size_t i = 0; i < config.sources.size(); ++i) rules.matcher(i).flush(0);
  return ReplayResult{total.files, total.lines, total.bytes, total.unreadable};
}

}  // namespace logpulse::pipeline
