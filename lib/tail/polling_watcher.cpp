#include "tail/polling_watcher.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace logpulse::tail {

namespace asio = boost::asio;

PollingWatcher::PollingWatcher(asio::any_io_executor executor, std::chrono::milliseconds interval)
    : timer_(executor), interval_(interval) {}

asio::awaitable<WakeReason> PollingWatcher::wait(std::chrono::milliseconds timeout) {
  timer_.expires_after(std::min(timeout, interval_));
  co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return WakeReason{.rescan = true, .timed_out = true};
}

}  // namespace logpulse::tail
