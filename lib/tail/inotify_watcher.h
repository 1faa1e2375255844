// InotifyWatcher: inotify watches on directories, read through an Asio descriptor. Wakes on
// any entry event; creation, deletion, renames, attribute changes and queue overflow ask
// for a rescan, modifications only for reading. Construction throws std::system_error when
// inotify is unavailable (the caller then polls). Renames are paired by their cookie and
// kept, with creations and deletions, for take_name_changes(). Not thread safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <string>

#include "tail/watcher.h"

struct inotify_event;

namespace logpulse::tail {

class InotifyWatcher final : public Watcher {
 public:
  explicit InotifyWatcher(boost::asio::any_io_executor executor);
  bool watch_directory(const std::string& directory) override;
  boost::asio::awaitable<WakeReason> wait(std::chrono::milliseconds timeout) override;
  WakeReason poll() override;
  bool broken() const override { return broken_; }
  void cancel() override {
    timer_.cancel();
    descriptor_.cancel();
  }
  const char* kind() const override { return "inotify"; }
  NameChanges take_name_changes() override;

 private:
  // Reads all queued events without blocking; returns whether a rescan is needed.
  bool drain_events(bool& any);
  void note_name_change(const inotify_event& event);

  boost::asio::posix::stream_descriptor descriptor_;
  boost::asio::steady_timer timer_;
  std::map<std::string, int> watch_by_directory_;
  std::map<int, std::string> directory_by_watch_;
  // Bounds what is kept between two takes; beyond it, changes are dropped and the next take
  // is incomplete.
  static constexpr std::size_t kMaxNameChanges = 4096;
  NameChanges names_;
  std::map<std::uint32_t, std::string> moved_from_;  // cookie -> old path, until its IN_MOVED_TO
  bool broken_ = false;
};

}  // namespace logpulse::tail
