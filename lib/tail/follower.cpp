#include "tail/follower.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <spdlog/spdlog.h>

#include "tail/glob.h"
#include "tail/inotify_watcher.h"
#include "tail/polling_watcher.h"

namespace logpulse::tail {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
// Reads per file per round, so one busy file cannot starve the others.
constexpr std::size_t kBatchesPerTurn = 16;
constexpr std::size_t kClosedRemembered = 1024;

bool is_compressed_name(const std::string& name) {
  static constexpr const char* kSuffixes[] = {".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4", ".Z"};
  for (const char* suffix : kSuffixes) {
    std::size_t n = std::strlen(suffix);
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) return true;
  }
  return false;
}

// "app.log.1", "app.log-20240101", "app.log_old" are rotated names of "app.log".
bool is_rotated_name(const std::string& name, const std::string& base) {
  return name.size() > base.size() + 1 && name.compare(0, base.size(), base) == 0 &&
         (name[base.size()] == '.' || name[base.size()] == '-' || name[base.size()] == '_') &&
         !is_compressed_name(name);
}
}  // namespace

Follower::Follower(asio::any_io_executor executor, config::Source source, FollowerOptions options,
                   metrics::SourceMetrics& metrics, std::vector<CheckpointEntry> checkpoints)
    : executor_(std::move(executor)),
      source_(std::move(source)),
      options_(options),
      metrics_(metrics),
      checkpoints_(std::move(checkpoints)) {
  std::erase_if(checkpoints_, [&](const CheckpointEntry& e) { return e.source != source_.name; });
  restarted_ = !checkpoints_.empty() && !options_.after_reload;
  if (options_.force_poll) {
    watcher_ = std::make_unique<PollingWatcher>(executor_, options_.poll_interval);
  } else {
    try {
      watcher_ = std::make_unique<InotifyWatcher>(executor_);
    } catch (const std::system_error& e) {
      spdlog::warn("source {}: inotify unavailable ({}): polling every {} ms", source_.name, e.what(),
                   options_.poll_interval.count());
      watcher_ = std::make_unique<PollingWatcher>(executor_, options_.poll_interval);
    }
  }
}

Follower::~Follower() { reading_ = {}; }

void Follower::stop() {
  stopped_ = true;
  watcher_->cancel();
}

std::chrono::milliseconds Follower::rescan_period() const {
  return std::string_view(watcher_->kind()) == "poll" ? options_.poll_interval : options_.rescan_interval;
}

void Follower::use_polling() {
  spdlog::warn("source {}: switching to polling every {} ms", source_.name, options_.poll_interval.count());
  watcher_ = std::make_unique<PollingWatcher>(executor_, options_.poll_interval);
}

asio::awaitable<const LineBatch*> Follower::next() {
  if (!discovered_) {
    rescan(true);
    discovered_ = true;
    start_round();
  }
  for (;;) {
    if (stopped_) co_return nullptr;
    if (reading_.valid()) {
      if (const LineBatch* batch = reading_.next()) co_return batch;
      if (!reading_tracked_->file->at_eof()) more_pending_ = true;
      reading_ = {};
      reading_tracked_ = nullptr;
    }
    if (!round_.empty()) {
      auto it = files_.find(round_.back());
      round_.pop_back();
      if (it == files_.end()) continue;
      reading_tracked_ = &it->second;
      reading_ = it->second.file->read_available(kBatchesPerTurn);
      continue;
    }
    end_round();
    WakeReason reason;
    if (more_pending_) {
      // Data is still waiting: let the rest of the event loop run, then go on reading.
      co_await asio::post(executor_, asio::use_awaitable);
      reason = watcher_->poll();
    } else {
      auto timeout = rescan_period();
      const auto now = Clock::now();
      for (const auto& [key, tracked] : files_)
        if (tracked.draining)
          timeout = std::min(timeout, std::chrono::ceil<std::chrono::milliseconds>(
                                          std::max(tracked.drain_deadline - now, Clock::duration::zero())) +
                                          std::chrono::milliseconds(1));
      reason = co_await watcher_->wait(timeout);
    }
    if (watcher_->broken()) {
      use_polling();
      reason.rescan = true;
    }
    if (reason.rescan || Clock::now() >= next_rescan_) rescan(false);
    more_pending_ = false;
    start_round();
  }
}

void Follower::commit(const LineBatch& batch) {
  if (reading_tracked_ == nullptr) return;
  reading_tracked_->file->commit(batch);
  metrics_.record_batch(batch.lines.size(), batch.bytes, batch.lines_truncated);
}

void Follower::rescan(bool initial) {
  next_rescan_ = Clock::now() + rescan_period();
  Discovery found = discover(source_.paths, source_.exclude);
  for (const auto& dir : found.directories) watcher_->watch_directory(dir);
  if (watcher_->broken()) use_polling();
  for (const auto& path : found.skipped)
    if (throttle_.allow("skip:" + path))
      spdlog::warn("source {}: {} is not a regular file: not followed", source_.name, path);
  for (const auto& path : found.unreadable)
    if (throttle_.allow("stat:" + path))
      spdlog::warn("source {}: cannot stat {}: retrying", source_.name, path);

  std::set<Key> present;
  std::vector<std::string> rotated_paths;
  for (const auto& f : found.files) {
    Key key{f.device, f.inode};
    auto tracked = files_.find(key);
    if (tracked == files_.end()) {
      if (!open_file(f.path, initial ? OpenMode::kInitial : OpenMode::kAppeared)) continue;
      tracked = files_.find(key);
      if (tracked == files_.end()) continue;  // replaced between stat() and open()
    } else if (tracked->second.file->path() != f.path) {
      spdlog::info("source {}: {} is now {}", source_.name, tracked->second.file->path(), f.path);
      tracked->second.file->set_path(f.path);
      set_lag_path(tracked->second);
    }
    if (tracked->second.draining) {
      tracked->second.draining = false;
      spdlog::info("source {}: {} is followed again", source_.name, f.path);
    }
    present.insert(key);
    auto owner = path_owner_.find(f.path);
    if (owner != path_owner_.end() && owner->second != key) {
      metrics_.rotations.Increment();
      spdlog::info("source {}: {} was rotated: following the new file", source_.name, f.path);
      rotated_paths.push_back(f.path);
    }
    path_owner_[f.path] = key;
  }

  const auto now = Clock::now();
  for (auto& [key, tracked] : files_) {
    if (present.count(key) || tracked.draining) continue;
    tracked.draining = true;
    tracked.drain_deadline = now + source_.rotate_wait;
    spdlog::info("source {}: {} was renamed away or deleted: reading what is left for {} ms", source_.name,
                 tracked.file->path(), source_.rotate_wait.count());
    rotated_paths.push_back(tracked.file->path());
  }

  std::sort(rotated_paths.begin(), rotated_paths.end());
  rotated_paths.erase(std::unique(rotated_paths.begin(), rotated_paths.end()), rotated_paths.end());
  for (const auto& path : rotated_paths) rescue_rotated(path, false);
  if (initial) {
    // Files rotated while logpulse was stopped: their checkpoint names where they were.
    std::set<std::string> checkpointed;
    for (const auto& entry : checkpoints_) checkpointed.insert(entry.path);
    for (const auto& path : checkpointed) rescue_rotated(path, true);
  }
  for (const auto& f : found.files)
    if (!known_siblings_.count(f.path)) known_siblings_[f.path] = keys_of(rotated_siblings(f.path));
  metrics_.files_followed.Set(static_cast<double>(files_.size()));
}

std::vector<Follower::Sibling> Follower::rotated_siblings(const std::string& path) const {
  std::vector<Sibling> siblings;
  const std::string dir = parent_directory(path);
  const std::string base = base_name(path);
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) return siblings;
  while (dirent* entry = ::readdir(stream)) {
    if (!is_rotated_name(entry->d_name, base)) continue;
    std::string sibling = dir + "/" + entry->d_name;
    struct stat st {};
    if (::stat(sibling.c_str(), &st) == 0 && S_ISREG(st.st_mode))
      siblings.push_back(Sibling{std::move(sibling), Key{st.st_dev, st.st_ino}});
  }
  ::closedir(stream);
  std::sort(siblings.begin(), siblings.end(), [](const Sibling& a, const Sibling& b) { return a.path < b.path; });
  return siblings;
}

std::set<Follower::Key> Follower::keys_of(const std::vector<Sibling>& siblings) {
  std::set<Key> keys;
  for (const auto& sibling : siblings) keys.insert(sibling.key);
  return keys;
}

// After `path` was rotated, a file that was rotated away twice between two looks stands
// beside it under a rotated name, unknown to us: read it from the start (or from its
// checkpoint) and drain it. Names known from the last look are old archives: left alone.
void Follower::rescue_rotated(const std::string& path, bool initial) {
  auto known = known_siblings_.find(path);
  if (known == known_siblings_.end() && !initial) return;
  const std::vector<Sibling> siblings = rotated_siblings(path);
  for (const auto& sibling : siblings) {
    if (is_excluded(sibling.path, source_.exclude) || files_.count(sibling.key)) continue;
    if (!initial && known->second.count(sibling.key)) continue;
    // A file found here was rotated away unseen: one more rotation than the path showed.
    if (open_file(sibling.path, initial ? OpenMode::kCheckpointed : OpenMode::kRescued) && !initial)
      metrics_.rotations.Increment();
  }
  known_siblings_[path] = keys_of(siblings);
}

const CheckpointEntry* Follower::matching_checkpoint(const FileIdentity& identity, int fd) const {
  for (const auto& entry : checkpoints_) {
    if (!entry.identity.same_inode(identity)) continue;
    if (entry.identity.fingerprint_length > identity.fingerprint_length &&
        entry.identity.fingerprint_length > 0) {
      continue;  // the file is now shorter than the bytes we fingerprinted: not that file
    }
    auto prefix = fingerprint_prefix(fd, entry.identity.fingerprint_length);
    if (prefix && *prefix == entry.identity.fingerprint) return &entry;
  }
  return nullptr;
}

bool Follower::open_file(const std::string& path, OpenMode mode) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno != ENOENT && throttle_.allow("open:" + path))
      spdlog::warn("source {}: cannot open {}: {} (retrying)", source_.name, path, std::strerror(errno));
    return false;
  }
  auto identity = identify(fd);
  struct stat st {};
  if (!identity || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      files_.count(Key{identity->device, identity->inode})) {
    ::close(fd);
    return false;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t offset = 0;
  bool in_cut_line = false;
  const char* why = "from the start";
  if (const CheckpointEntry* entry = matching_checkpoint(*identity, fd)) {
    offset = entry->offset <= size ? entry->offset : 0;
    in_cut_line = entry->in_cut_line && entry->offset <= size;
    why = entry->offset <= size ? "from its checkpoint" : "from the start (shrank below its checkpoint)";
    checkpoints_.erase(checkpoints_.begin() + (entry - checkpoints_.data()));
  } else if (mode == OpenMode::kCheckpointed) {
    ::close(fd);
    return false;
  } else if (mode == OpenMode::kRescued) {
    bool closed_before = std::any_of(closed_.begin(), closed_.end(), [&](const FileIdentity& c) {
      return c.same_inode(*identity) && c.fingerprint == identity->fingerprint;
    });
    if (closed_before) {
      ::close(fd);
      return false;
    }
  } else if (mode == OpenMode::kInitial && source_.start_at == config::StartAt::kEnd && !restarted_) {
    offset = size;
    why = "from its end";
  }
  Key key{identity->device, identity->inode};
  Tracked tracked;
  tracked.file = std::make_unique<FollowedFile>(fd, *identity, path, offset, source_.max_line_bytes, in_cut_line);
  const bool rotated_away = mode == OpenMode::kRescued || mode == OpenMode::kCheckpointed;
  if (rotated_away) {
    tracked.draining = true;
    tracked.drain_deadline = Clock::now() + source_.rotate_wait;
  }
  auto [it, inserted] = files_.emplace(key, std::move(tracked));
  set_lag_path(it->second);
  spdlog::info("source {}: following {} {} (offset {}){}", source_.name, path, why, offset,
               rotated_away ? ", rotated away: draining" : "");
  return true;
}

prometheus::Gauge* Follower::acquire_lag_gauge(const std::string& path) {
  prometheus::Gauge* gauge = &metrics_.lag_for(path);
  ++lag_gauge_users_[gauge];
  return gauge;
}

void Follower::release_lag_gauge(prometheus::Gauge* gauge) {
  if (gauge == nullptr) return;
  auto it = lag_gauge_users_.find(gauge);
  if (it == lag_gauge_users_.end() || --it->second > 0) return;
  lag_gauge_users_.erase(it);
  metrics_.forget_lag(*gauge);
}

void Follower::set_lag_path(Tracked& tracked) {
  release_lag_gauge(tracked.lag_gauge);
  tracked.lag_gauge = acquire_lag_gauge(tracked.file->path());
  update_lag_gauges();
}

void Follower::update_lag_gauges() {
  std::map<prometheus::Gauge*, double> lag;
  for (const auto& [key, tracked] : files_) lag[tracked.lag_gauge] += static_cast<double>(tracked.file->lag_bytes());
  for (const auto& [gauge, bytes] : lag)
    if (gauge) gauge->Set(bytes);
}

void Follower::start_round() {
  round_.clear();
  std::vector<Key> draining;
  for (auto& [key, tracked] : files_) {
    auto change = tracked.file->check();
    if (change == FollowedFile::Change::kTruncated) {
      metrics_.truncations.Increment();
      spdlog::info("source {}: {} was truncated: reading it from the start", source_.name, tracked.file->path());
    }
    if (change == FollowedFile::Change::kNone) continue;
    (tracked.draining ? draining : round_).push_back(key);
  }
  // round_ is consumed from the back: drained (older) files first.
  round_.insert(round_.end(), draining.begin(), draining.end());
}

void Follower::end_round() {
  const auto now = Clock::now();
  for (auto it = files_.begin(); it != files_.end();) {
    Tracked& tracked = it->second;
    if (tracked.draining && now >= tracked.drain_deadline &&
        tracked.file->check() == FollowedFile::Change::kNone) {
      auto next = std::next(it);
      close_file(it);
      it = next;
      continue;
    }
    ++it;
  }
  update_lag_gauges();
  metrics_.files_followed.Set(static_cast<double>(files_.size()));
}

void Follower::close_file(std::map<Key, Tracked>::iterator it) {
  Tracked& tracked = it->second;
  spdlog::info("source {}: closing {} at offset {}", source_.name, tracked.file->path(),
               tracked.file->committed_offset());
  release_lag_gauge(tracked.lag_gauge);
  closed_.push_back(tracked.file->identity());
  if (closed_.size() > kClosedRemembered) closed_.pop_front();
  for (auto owner = path_owner_.begin(); owner != path_owner_.end();)
    owner = owner->second == it->first ? path_owner_.erase(owner) : std::next(owner);
  files_.erase(it);
}

std::vector<CheckpointEntry> Follower::checkpoint_entries() const {
  std::vector<CheckpointEntry> out;
  out.reserve(files_.size() + checkpoints_.size());
  for (const auto& [key, tracked] : files_)
    out.push_back(CheckpointEntry{source_.name, tracked.file->identity(), tracked.file->committed_offset(),
                                  tracked.file->committed_in_cut_line(), tracked.file->path()});
  // Entries not matched yet (a file absent for now) are kept for a later start.
  if (!discovered_)
    for (const auto& entry : checkpoints_) out.push_back(entry);
  return out;
}

std::vector<FileStatus> Follower::status() const {
  std::vector<FileStatus> out;
  for (const auto& [key, tracked] : files_) {
    const FollowedFile& f = *tracked.file;
    out.push_back(FileStatus{f.path(), f.identity().to_string(), f.committed_offset(), f.size(), f.lag_bytes(),
                             tracked.draining ? "draining" : "following"});
  }
  return out;
}

}  // namespace logpulse::tail
