#include "pipeline/ingest.h"

#include <chrono>

namespace logpulse::pipeline {

boost::asio::awaitable<void> ingest(tail::Follower& follower, match::SourceMatcher& matcher) {
  for (;;) {
    const core::LineBatch* batch = co_await follower.next();
    if (batch == nullptr) co_return;  // stopped
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    matcher.process(*batch, now_ms);
    follower.commit(*batch);
  }
}

}  // namespace logpulse::pipeline
