// PollingWatcher: wakes every poll interval and asks for a full rescan. Never misses a
// change that persists for one interval; files being read are held open, so data written
// and then deleted within an interval is still read. Not thread safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "tail/watcher.h"

namespace logpulse::tail {

class PollingWatcher final : public Watcher {
 public:
  PollingWatcher(boost::asio::any_io_executor executor, std::chrono::milliseconds interval);
  bool watch_directory(const std::string&) override { return true; }
  boost::asio::awaitable<WakeReason> wait(std::chrono::milliseconds timeout) override;
  WakeReason poll() override { return {}; }
  bool broken() const override { return false; }
  void cancel() override { timer_.cancel(); }
  const char* kind() const override { return "poll"; }
  // A timer sees no names change: the follower falls back on what its looks saw.
  NameChanges take_name_changes() override { return {}; }

 private:
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds interval_;
};

}  // namespace logpulse::tail
