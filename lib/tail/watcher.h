// Watcher: how a follower waits for its files to change. Two implementations: inotify on
// the directories (InotifyWatcher) and a plain timer (PollingWatcher), used when inotify is
// unavailable, when its watches run out, or when the configuration asks for polling.
// Not thread safe: one follower, one strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace logpulse::tail {

struct WakeReason {
  bool rescan = false;    // names may have changed (create, delete, rename, overflow, timer)
  bool timed_out = false; // nothing happened within the timeout
};

// A name that changed in a watched directory. kRenamed carries both names (inotify pairs
// IN_MOVED_FROM and IN_MOVED_TO by their cookie): the file now at `path` was at `from`.
struct NameChange {
  enum class Kind { kRenamed, kAppeared, kRemoved };
  Kind kind = Kind::kAppeared;
  std::string from;  // kRenamed only
  std::string path;
};

struct NameChanges {
  std::vector<NameChange> changes;  // in the order they happened
  // Every change of every watched directory since the last take is in `changes`. False
  // when polling, after a queue overflow, or when a watch was added since (what happened
  // in that directory before it was watched is unknown).
  bool complete = false;
};

class Watcher {
 public:
  virtual ~Watcher() = default;
  // Starts watching `directory` for new, removed, renamed and modified entries. Idempotent.
  // Returns false when the directory cannot be watched (missing: try again on a later rescan).
  virtual bool watch_directory(const std::string& directory) = 0;
  // Suspends until something may have changed or `timeout` has elapsed.
  virtual boost::asio::awaitable<WakeReason> wait(std::chrono::milliseconds timeout) = 0;
  // What is already known without waiting (used while there is still data to read).
  virtual WakeReason poll() = 0;
  // True once the watcher cannot be trusted any more (watch limit reached, read error):
  // the owner replaces it with a PollingWatcher.
  virtual bool broken() const = 0;
  // Ends a pending wait() early (it returns timed_out).
  virtual void cancel() = 0;
  virtual const char* kind() const = 0;
  // The name changes since the last call, pending events included.
  virtual NameChanges take_name_changes() = 0;
};

}  // namespace logpulse::tail
