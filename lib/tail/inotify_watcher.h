// InotifyWatcher: inotify watches on directories, read through an Asio descriptor. Wakes on
// any entry event; creation, deletion, renames, attribute changes and queue overflow ask
// for a rescan, modifications only for reading. Construction throws std::system_error when
// inotify is unavailable (the caller then polls). Not thread safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <string>

#include "tail/watcher.h"

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

 private:
  // Reads all queued events without blocking; returns whether a rescan is needed.
  bool drain_events(bool& any);

  boost::asio::posix::stream_descriptor descriptor_;
  boost::asio::steady_timer timer_;
  std::map<std::string, int> watch_by_directory_;
  std::map<int, std::string> directory_by_watch_;
  bool broken_ = false;
};

}  // namespace logpulse::tail
