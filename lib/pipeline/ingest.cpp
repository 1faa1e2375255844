#include "pipeline/ingest.h"

#include <spdlog/spdlog.h>

namespace logpulse::pipeline {

boost::asio::awaitable<void> ingest(tail::Follower& follower) {
  for (;;) {
    const tail::LineBatch* batch = co_await follower.next();
    // The stages that consume lines (rules, windows) plug in here; until then a batch is
    // fully processed once it has been counted, which commit() does.
    follower.commit(*batch);
  }
}

}  // namespace logpulse::pipeline
