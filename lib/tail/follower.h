// Follower: one source's files followed by name, forever, like `tail -F` over globs.
//
//   for (;;) {
//     const LineBatch* batch = co_await follower.next();   // waits when nothing is new
//     process(*batch);
//     follower.commit(*batch);                              // only this is checkpointed
//   }
//
// next() is an infinite asynchronous generator: it never ends, it waits (inotify or
// polling) for more data. It handles rename and create rotation (a renamed-away or deleted
// file is drained for rotate_wait), copytruncate and truncation, files and directories that
// appear later, symlink retargeting, and files rotated twice between two looks (found beside
// the followed path). A file beside a followed path is taken for a rotated-away one only if
// it is a file we followed (device + inode), or if it was rotated away before any look saw
// it at the path (two rotations between two looks): known exactly from the watcher's rename
// events where it reports every name change (inotify), else guessed (it appeared beside the
// path since the last look, with content we never read). Files are read through one
// buffer per follower. A batch's views are valid until the next call to next().
// Not thread safe: next(), commit() and the accessors run on the follower's executor.
// Destroying the follower closes its files and watches; its metric series stay (a
// follower of the next configuration reuses them).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/generator.h"
#include "core/log_throttle.h"
#include "metrics/self_metrics.h"
#include "tail/checkpoint_store.h"
#include "tail/discovery.h"
#include "tail/followed_file.h"
#include "tail/read_buffer.h"
#include "tail/watcher.h"

namespace logpulse::tail {

struct FileStatus {
  std::string path;
  std::string identity;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint64_t lag = 0;
  const char* state = "following";  // following | draining
};

struct FollowerOptions {
  bool force_poll = false;
  std::chrono::milliseconds poll_interval{250};
  std::chrono::milliseconds rescan_interval{1000};
  // Started by a configuration reload, not a process start: nothing happened while
  // logpulse was down, so files without a checkpoint entry follow start_at.
  bool after_reload = false;
  // Makes the watcher instead of inotify or polling (tests: looks on demand). Empty: the
  // usual choice.
  std::function<std::unique_ptr<Watcher>(boost::asio::any_io_executor)> make_watcher;
};

class Follower {
 public:
  Follower(boost::asio::any_io_executor executor, config::Source source, FollowerOptions options,
           metrics::SourceMetrics& metrics, std::vector<CheckpointEntry> checkpoints);
  ~Follower();
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // nullptr only after stop(): the generator is finished.
  boost::asio::awaitable<const LineBatch*> next();
  // Makes a pending or later next() return nullptr soon (used on reload).
  void stop();
  void commit(const LineBatch& batch);

  // The committed position of every open file, for the checkpoint.
  std::vector<CheckpointEntry> checkpoint_entries() const;
  std::vector<FileStatus> status() const;
  // True once the first discovery has run and its files are open.
  bool discovered() const { return discovered_; }
  const std::string& name() const { return source_.name; }
  const char* watcher_kind() const { return watcher_->kind(); }

 private:
  using Key = std::pair<std::uint64_t, std::uint64_t>;  // device, inode
  struct Tracked {
    std::unique_ptr<FollowedFile> file;
    bool draining = false;
    std::chrono::steady_clock::time_point drain_deadline;
    prometheus::Gauge* lag_gauge = nullptr;
  };
  // kInitial: found by the first discovery (start_at applies); kAppeared: found later (read
  // from 0); kRescued: found beside a rotated path (drained); kCheckpointed: found beside a
  // checkpointed path at start-up, opened only if its checkpoint matches.
  enum class OpenMode { kInitial, kAppeared, kRescued, kCheckpointed };

  void use_polling();
  void rescan(bool initial);
  bool open_file(const std::string& path, OpenMode mode);
  const CheckpointEntry* matching_checkpoint(const FileIdentity& identity, int fd) const;
  struct Sibling {
    std::string path;
    Key key;
    std::int64_t mtime_ns = 0;
  };
  using SiblingMap = std::map<std::string, std::vector<Sibling>>;
  // Regular files beside each of `paths` under a rotated name of it (app.log.1,
  // app.log-2024...), oldest first: one directory read per directory.
  static SiblingMap rotated_siblings(const std::vector<std::string>& paths);
  // `path` was rotated: open what stands beside it that was rotated away unseen.
  void rescue_rotated(const std::string& path, const std::vector<Sibling>& siblings);
  // Name changes since the last look: which file was renamed from a followed path to where.
  void take_name_changes();
  bool is_followed_name(const std::string& path) const;
  // The files renamed away from a followed path since the last look, if not followed: read
  // from their start and drained (rotated away unseen).
  void rescue_renamed();
  // At start-up: files beside checkpointed paths that hold checkpointed files, or that
  // were rotated away while logpulse was stopped.
  void recover_checkpointed(const std::vector<CheckpointEntry>& checkpointed, const std::vector<FoundFile>& found,
                            const SiblingMap& siblings);
  // True when the first bytes of `path` are those of a file this follower has read (a copy
  // such as copytruncate's, not a file rotated away).
  bool is_copy_of_known(const std::string& path) const;
  void remember_content(const FileIdentity& identity);
  void note_error(const Tracked& tracked);
  void start_round();
  void end_round();
  void close_file(std::map<Key, Tracked>::iterator it);
  void set_lag_path(Tracked& tracked);
  prometheus::Gauge* acquire_lag_gauge(const std::string& path);
  void release_lag_gauge(prometheus::Gauge* gauge);
  void update_lag_gauges();
  std::chrono::milliseconds rescan_period() const;

  boost::asio::any_io_executor executor_;
  config::Source source_;
  FollowerOptions options_;
  metrics::SourceMetrics& metrics_;
  std::vector<CheckpointEntry> checkpoints_;
  // A restart: files without a checkpoint appeared while logpulse was down, read them whole.
  bool restarted_ = false;
  std::int64_t checkpoint_written_at_ns_ = 0;
  std::unique_ptr<Watcher> watcher_;
  // Shared by every file of this source (read one at a time); declared before files_, which
  // use it until they are destroyed.
  ReadBuffer read_buffer_;

  std::map<Key, Tracked> files_;
  std::map<std::string, Key> path_owner_;
  // Per followed path, the files under its rotated names at the last look that looked at
  // it. A path is looked at while it names a file and while the file it last named is still
  // followed (renamed away or deleted, being drained): its record outlives the path's
  // absence between a rotation and the re-creation.
  std::map<std::string, std::set<Key>> siblings_seen_;
  // With a watcher that reports every name change (inotify): the files renamed away from a
  // followed path since the last look, by the name they have now, and that path. Where it
  // is known, it decides alone which file beside a path was rotated away.
  std::map<std::string, std::string> renamed_from_;
  bool names_complete_ = false;
  std::deque<FileIdentity> closed_;             // recently closed, never rescued again
  std::deque<std::pair<std::uint32_t, std::uint64_t>> contents_;  // first-bytes hashes of files read
  core::LogThrottle throttle_;
  // A renamed-away file and its successor can share a path: one series, counted users.
  std::map<prometheus::Gauge*, int> lag_gauge_users_;

  std::vector<Key> round_;
  core::Generator<const LineBatch&> reading_;
  Tracked* reading_tracked_ = nullptr;
  bool more_pending_ = false;
  bool stopped_ = false;
  bool discovered_ = false;
  std::chrono::steady_clock::time_point next_rescan_;
};

}  // namespace logpulse::tail
