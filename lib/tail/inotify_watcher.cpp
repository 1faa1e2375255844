#include "tail/inotify_watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <spdlog/spdlog.h>
#include <system_error>
#include <utility>

namespace logpulse::tail {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {
constexpr std::uint32_t kDirectoryEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                           IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF |
                                           IN_MOVE_SELF | IN_ONLYDIR;
constexpr std::uint32_t kRescanEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                        IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED |
                                        IN_Q_OVERFLOW;

int open_inotify() {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
  return fd;
}
}  // namespace

InotifyWatcher::InotifyWatcher(asio::any_io_executor executor)
    : descriptor_(executor, open_inotify()), timer_(executor) {
  names_.complete = false;  // nothing is watched yet
}

bool InotifyWatcher::watch_directory(const std::string& directory) {
  if (watch_by_directory_.count(directory)) return true;
  int wd = ::inotify_add_watch(descriptor_.native_handle(), directory.c_str(), kDirectoryEvents);
  if (wd < 0) {
    if (errno == ENOSPC || errno == ENOMEM) {
      spdlog::warn("inotify watch limit reached at {} (fs.inotify.max_user_watches): polling instead",
                   directory);
      broken_ = true;
    }
    return false;
  }
  // Two names of one directory share a watch descriptor; keep the first name for it.
  watch_by_directory_[directory] = wd;
  directory_by_watch_.emplace(wd, directory);
  names_.complete = false;
  return true;
}

bool InotifyWatcher::drain_events(bool& any) {
  alignas(inotify_event) char buffer[16 * 1024];
  bool rescan = false;
  for (;;) {
    ssize_t n = ::read(descriptor_.native_handle(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        spdlog::warn("reading inotify events failed: {}: polling instead", std::strerror(errno));
        broken_ = true;
      }
      return rescan;
    }
    if (n == 0) return rescan;
    any = true;
    for (char* p = buffer; p < buffer + n;) {
      auto* event = reinterpret_cast<inotify_event*>(p);
      if (event->mask & kRescanEvents) rescan = true;
      if (event->mask & IN_Q_OVERFLOW) {
        spdlog::debug("inotify queue overflow: full rescan");
        names_.complete = false;
      }
      note_name_change(*event);
      if (event->mask & IN_IGNORED) {
        // The directory is gone; a later rescan watches it again if it comes back.
        auto it = directory_by_watch_.find(event->wd);
        if (it != directory_by_watch_.end()) {
          for (auto w = watch_by_directory_.begin(); w != watch_by_directory_.end();)
            w = w->second == event->wd ? watch_by_directory_.erase(w) : std::next(w);
          directory_by_watch_.erase(it);
        }
      }
      p += sizeof(inotify_event) + event->len;
    }
  }
}

void InotifyWatcher::note_name_change(const inotify_event& event) {
  constexpr std::uint32_t kNameEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;
  if (event.len == 0 || (event.mask & kNameEvents) == 0) return;
  auto dir = directory_by_watch_.find(event.wd);
  if (dir == directory_by_watch_.end()) return;
  std::string path = dir->second == "/" ? "/" + std::string(event.name) : dir->second + "/" + event.name;
  if (event.mask & IN_MOVED_FROM) {
    if (moved_from_.size() >= kMaxNameChanges) moved_from_.clear();
    // Paired with its IN_MOVED_TO, which follows it (or never comes: moved out of the
    // watched directories; what stands at the old name then is found by a look).
    moved_from_[event.cookie] = std::move(path);
    return;
  }
  if (event.mask & IN_MOVED_TO) {
    auto from = moved_from_.find(event.cookie);
    if (from != moved_from_.end()) {
      names_.changes.push_back(NameChange{NameChange::Kind::kRenamed, std::move(from->second), std::move(path)});
      moved_from_.erase(from);
    } else {
      names_.changes.push_back(NameChange{NameChange::Kind::kAppeared, {}, std::move(path)});
    }
  } else {
    names_.changes.push_back(NameChange{
        event.mask & IN_CREATE ? NameChange::Kind::kAppeared : NameChange::Kind::kRemoved, {}, std::move(path)});
  }
  if (names_.changes.size() > kMaxNameChanges) {
    names_.changes.clear();
    names_.complete = false;
  }
}

NameChanges InotifyWatcher::take_name_changes() {
  bool any = false;
  drain_events(any);
  NameChanges out = std::exchange(names_, NameChanges{});
  names_.complete = !broken_;
  if (broken_) out.complete = false;
  return out;
}

WakeReason InotifyWatcher::poll() {
  bool any = false;
  bool rescan = drain_events(any);
  return WakeReason{.rescan = rescan || broken_, .timed_out = false};
}

asio::awaitable<WakeReason> InotifyWatcher::wait(std::chrono::milliseconds timeout) {
  bool any = false;
  bool rescan = drain_events(any);
  if (any || broken_) co_return WakeReason{.rescan = rescan || broken_, .timed_out = false};
  timer_.expires_after(timeout);
  auto result = co_await (descriptor_.async_wait(asio::posix::stream_descriptor::wait_read,
                                                  asio::as_tuple(asio::use_awaitable)) ||
                          timer_.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (result.index() == 1) co_return WakeReason{.rescan = true, .timed_out = true};
  rescan = drain_events(any);
  co_return WakeReason{.rescan = rescan || broken_, .timed_out = false};
}

}  // namespace logpulse::tail
