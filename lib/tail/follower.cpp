#include "tail/follower.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
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

bool is_compressed_name(std::string_view name) {
  static constexpr std::string_view kSuffixes[] = {".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4", ".Z"};
  for (std::string_view suffix : kSuffixes)
    if (name.size() > suffix.size() && name.ends_with(suffix)) return true;
  return false;
}
}  // namespace

Follower::Follower(asio::any_io_executor executor, config::Source source, FollowerOptions options,
                   metrics::SourceMetrics& metrics, std::vector<CheckpointEntry> checkpoints)
    : executor_(std::move(executor)),
      source_(std::move(source)),
      options_(options),
      metrics_(metrics),
      checkpoints_(std::move(checkpoints)),
      read_buffer_(source_.max_line_bytes) {
  std::erase_if(checkpoints_, [&](const CheckpointEntry& e) { return e.source != source_.name; });
  restarted_ = !checkpoints_.empty() && !options_.after_reload;
  for (const auto& entry : checkpoints_) {
    remember_content(entry.identity);
    if (entry.written_at_ns > 0)
      checkpoint_written_at_ns_ = checkpoint_written_at_ns_ == 0 ? entry.written_at_ns
                                                                  : std::min(checkpoint_written_at_ns_, entry.written_at_ns);
  }
  if (options_.make_watcher) {
    watcher_ = options_.make_watcher(executor_);
  } else if (options_.force_poll) {
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
      note_error(*reading_tracked_);
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
  metrics_.record_batch(batch.lines.size(), batch.bytes, batch.lines_truncated, batch.nul_bytes_skipped);
}

void Follower::rescan(bool initial) {
  next_rescan_ = Clock::now() + rescan_period();
  take_name_changes();
  Discovery found = discover(source_.paths, source_.exclude);
  for (const auto& dir : found.directories) watcher_->watch_directory(dir);
  if (watcher_->broken()) use_polling();
  for (const auto& path : found.skipped)
    if (throttle_.allow("skip:" + path))
      spdlog::warn("source {}: {} is not a regular file: not followed", source_.name, path);
  for (const auto& path : found.unreadable)
    if (throttle_.allow("stat:" + path))
      spdlog::warn("source {}: cannot stat {}: retrying", source_.name, path);

  // Opening files consumes checkpoint entries: keep what they said for the start-up search.
  const std::vector<CheckpointEntry> checkpointed = initial ? checkpoints_ : std::vector<CheckpointEntry>{};
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

  // Paths looked at: those found, those rotated now, and those whose file is still followed
  // though the path is gone (between a rename or deletion and the re-creation).
  std::vector<std::string> beside;
  for (const auto& f : found.files) beside.push_back(f.path);
  beside.insert(beside.end(), rotated_paths.begin(), rotated_paths.end());
  for (const auto& [path, key] : path_owner_) beside.push_back(path);
  for (const auto& entry : checkpointed) beside.push_back(entry.path);
  const SiblingMap siblings = rotated_siblings(beside);

  std::sort(rotated_paths.begin(), rotated_paths.end());
  rotated_paths.erase(std::unique(rotated_paths.begin(), rotated_paths.end()), rotated_paths.end());
  if (names_complete_) {
    rescue_renamed();
  } else {
    for (const auto& path : rotated_paths)
      if (auto it = siblings.find(path); it != siblings.end()) rescue_rotated(path, it->second);
  }
  if (initial) recover_checkpointed(checkpointed, found.files, siblings);

  // What stands beside each path looked at is known from here on: a file found there at a
  // later rotation is rotated away unseen only if it is not among these. A path no longer
  // looked at (its file closed and the name gone) forgets its record.
  std::map<std::string, std::set<Key>> seen;
  for (const auto& path : beside) {
    auto& keys = seen[path];
    if (auto it = siblings.find(path); it != siblings.end())
      for (const auto& sibling : it->second) keys.insert(sibling.key);
  }
  siblings_seen_ = std::move(seen);
  metrics_.files_followed.Set(static_cast<double>(files_.size()));
  metrics_.rescans.Increment();
}

void Follower::take_name_changes() {
  NameChanges names = watcher_->take_name_changes();
  names_complete_ = names.complete;
  if (!names.complete) {
    renamed_from_.clear();
    return;
  }
  for (auto& change : names.changes) {
    if (change.kind != NameChange::Kind::kRenamed) {
      renamed_from_.erase(change.path);  // another file, or none, has this name now
      continue;
    }
    std::string origin;
    if (auto it = renamed_from_.find(change.from); it != renamed_from_.end()) {
      origin = std::move(it->second);  // renamed again: app.log -> app.log.1 -> app.log.2
      renamed_from_.erase(it);
    } else if (is_followed_name(change.from)) {
      origin = change.from;
    }
    if (origin.empty())
      renamed_from_.erase(change.path);
    else
      renamed_from_[change.path] = std::move(origin);
  }
}

bool Follower::is_followed_name(const std::string& path) const {
  if (path_owner_.count(path)) return true;
  if (is_excluded(path, source_.exclude)) return false;
  // The watcher names "./app.log" what a relative glob names "app.log".
  const std::string_view bare = std::string_view(path).starts_with("./") ? std::string_view(path).substr(2) : path;
  return std::any_of(source_.paths.begin(), source_.paths.end(), [&](const std::string& pattern) {
    return ::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0 ||
           ::fnmatch(pattern.c_str(), std::string(bare).c_str(), FNM_PATHNAME | FNM_PERIOD) == 0;
  });
}

// The watcher saw these files renamed away from a followed path: those not followed are
// files the looks never saw at the path (rotated away twice between two looks). Nothing
// else beside a path is read, however new it looks: an archive copy arrives by a copy or a
// creation, never by a rename from the path.
void Follower::rescue_renamed() {
  for (const auto& [path, origin] : renamed_from_) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (files_.count(Key{st.st_dev, st.st_ino}) || is_excluded(path, source_.exclude) ||
        is_compressed_name(base_name(path)))
      continue;
    spdlog::info("source {}: {} was renamed from {} before it was seen there", source_.name, path, origin);
    if (open_file(path, OpenMode::kRescued)) metrics_.rotations.Increment();
  }
  renamed_from_.clear();
}

Follower::SiblingMap Follower::rotated_siblings(const std::vector<std::string>& paths) {
  // directory -> base name -> the followed paths with that name there
  std::map<std::string, std::map<std::string, std::set<std::string>, std::less<>>> by_directory;
  for (const auto& path : paths) by_directory[parent_directory(path)][base_name(path)].insert(path);
  SiblingMap out;
  for (const auto& [dir, bases] : by_directory) {
    DIR* stream = ::opendir(dir.c_str());
    if (stream == nullptr) continue;
    while (dirent* entry = ::readdir(stream)) {
      const std::string_view name = entry->d_name;
      if (is_compressed_name(name)) continue;
      // "app.log.1", "app.log-20240101", "app.log_old" are rotated names of "app.log": try
      // each separator as the end of a followed base name.
      std::vector<const std::set<std::string>*> followed;
      for (std::size_t at = name.find_first_of(".-_", 1); at != std::string_view::npos && at + 1 < name.size();
           at = name.find_first_of(".-_", at + 1))
        if (auto base = bases.find(name.substr(0, at)); base != bases.end()) followed.push_back(&base->second);
      if (followed.empty()) continue;
      std::string sibling = dir + "/" + std::string(name);
      struct stat st {};
      if (::stat(sibling.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      const std::int64_t mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      for (const auto* owners : followed)
        for (const auto& owner : *owners) out[owner].push_back(Sibling{sibling, Key{st.st_dev, st.st_ino}, mtime});
    }
    ::closedir(stream);
  }
  for (auto& [path, list] : out)
    std::sort(list.begin(), list.end(), [](const Sibling& a, const Sibling& b) {
      return a.mtime_ns != b.mtime_ns ? a.mtime_ns < b.mtime_ns : a.path < b.path;
    });
  return out;
}

// After a path was rotated, a file rotated away twice between two looks stands beside it
// under a rotated name, unknown to us: read it from the start and drain it. What stood
// there at the last look is an archive, and so is a copy of content we read (copytruncate,
// or by hand): both are left alone.
void Follower::rescue_rotated(const std::string& path, const std::vector<Sibling>& siblings) {
  const auto seen = siblings_seen_.find(path);
  for (const auto& sibling : siblings) {
    if (is_excluded(sibling.path, source_.exclude) || files_.count(sibling.key) ||
        (seen != siblings_seen_.end() && seen->second.count(sibling.key)))
      continue;
    if (is_copy_of_known(sibling.path)) {
      spdlog::debug("source {}: {} is a copy of a file already read: not read", source_.name, sibling.path);
      continue;
    }
    // A file found here was rotated away unseen: one more rotation than the path showed.
    if (open_file(sibling.path, OpenMode::kRescued)) metrics_.rotations.Increment();
  }
}

// Files rotated while logpulse was stopped: their checkpoint names where they were, and
// they are looked for by identity beside that path. When the path itself now holds another
// file, what was rotated away after the checkpoint was written and is no copy of a file we
// read stands there too (two rotations while stopped): it is read whole, oldest first.
void Follower::recover_checkpointed(const std::vector<CheckpointEntry>& checkpointed,
                                    const std::vector<FoundFile>& found, const SiblingMap& siblings) {
  std::set<std::string> done;
  for (const auto& entry : checkpointed) {
    if (!done.insert(entry.path).second) continue;
    auto beside = siblings.find(entry.path);
    if (beside == siblings.end()) continue;
    const bool path_kept_its_file = std::any_of(found.begin(), found.end(), [&](const FoundFile& f) {
      return f.path == entry.path && std::any_of(checkpointed.begin(), checkpointed.end(), [&](const CheckpointEntry& e) {
               return e.path == entry.path && e.identity.device == f.device && e.identity.inode == f.inode;
             });
    });
    for (const auto& sibling : beside->second) {
      if (is_excluded(sibling.path, source_.exclude) || files_.count(sibling.key)) continue;
      if (open_file(sibling.path, OpenMode::kCheckpointed)) continue;
      if (!restarted_ || path_kept_its_file || checkpoint_written_at_ns_ == 0 ||
          sibling.mtime_ns < checkpoint_written_at_ns_ || is_copy_of_known(sibling.path))
        continue;
      open_file(sibling.path, OpenMode::kRescued);
    }
  }
}

bool Follower::is_copy_of_known(const std::string& path) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  char head[kFingerprintBytes];
  const ssize_t n = ::pread(fd, head, sizeof head, 0);
  ::close(fd);
  if (n <= 0) return false;
  return std::any_of(contents_.begin(), contents_.end(), [&](const auto& content) {
    return content.first <= static_cast<std::size_t>(n) && fnv1a(head, content.first) == content.second;
  });
}

void Follower::remember_content(const FileIdentity& identity) {
  if (identity.fingerprint_length == 0) return;
  const std::pair content{identity.fingerprint_length, identity.fingerprint};
  if (std::find(contents_.begin(), contents_.end(), content) != contents_.end()) return;
  contents_.push_back(content);
  if (contents_.size() > kClosedRemembered) contents_.pop_front();
}

void Follower::note_error(const Tracked& tracked) {
  const int error = tracked.file->take_error();
  if (error == 0) return;
  metrics_.read_errors.Increment();
  if (throttle_.allow("read:" + tracked.file->path()))
    spdlog::warn("source {}: reading {} failed: {} (retrying)", source_.name, tracked.file->path(),
                 std::strerror(error));
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
    // A file that is there but cannot be opened (EACCES, ELOOP, ...) is a read error,
    // counted at each attempt; a file gone since the look (ENOENT) is not.
    if (errno != ENOENT) {
      const int error = errno;
      metrics_.read_errors.Increment();
      if (throttle_.allow("open:" + path))
        spdlog::warn("source {}: cannot open {}: {} (retrying)", source_.name, path, std::strerror(error));
    }
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
  tracked.file = std::make_unique<FollowedFile>(read_buffer_, fd, *identity, path, offset, in_cut_line);
  remember_content(*identity);
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
  std::vector<std::pair<std::int64_t, Key>> draining;
  for (auto& [key, tracked] : files_) {
    const std::uint64_t fingerprint = tracked.file->identity().fingerprint;
    auto change = tracked.file->check();
    note_error(tracked);
    if (tracked.file->identity().fingerprint != fingerprint) remember_content(tracked.file->identity());
    if (change == FollowedFile::Change::kTruncated) {
      metrics_.truncations.Increment();
      spdlog::info("source {}: {} was truncated: reading it from the start", source_.name, tracked.file->path());
    }
    if (change == FollowedFile::Change::kNone) continue;
    if (tracked.draining)
      draining.emplace_back(tracked.file->mtime_ns(), key);
    else
      round_.push_back(key);
  }
  // round_ is consumed from the back: drained (older) files first, the oldest of them first.
  std::sort(draining.begin(), draining.end(), std::greater<>());
  for (const auto& [mtime, key] : draining) round_.push_back(key);
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
