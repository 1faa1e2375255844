#include "daemon/generation.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "pipeline/ingest.h"

namespace logpulse {

namespace asio = boost::asio;

std::int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Generation::Generation(asio::io_context& io, config::Config config, metrics::SelfMetrics& self_metrics,
                       pipeline::AnalyticsBoard& analytics)
    : io_(io),
      config_(std::move(config)),
      self_metrics_(self_metrics),
      rules_(config_, self_metrics_),
      evaluation_(io, config_, rules_.windows(), std::move(rules_.alert_rules()), analytics, self_metrics_) {}

template <typename Work>
void Generation::spawn(Work work) {
  ++*running_;
  asio::co_spawn(io_, std::move(work), [running = running_](std::exception_ptr error) {
    --*running;
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("pipeline stage failed: {}", e.what());
    }
  });
}

asio::awaitable<void> every(std::chrono::milliseconds period, std::function<void()> tick,
                            std::shared_ptr<const bool> stopped) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  // Wakes at least every 250 ms so that a stopped generation's timers end quickly.
  auto next_tick = std::chrono::steady_clock::now() + period;
  while (!*stopped) {
    timer.expires_at(std::min(next_tick, std::chrono::steady_clock::now() + std::chrono::milliseconds(250)));
    auto [error] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (error || *stopped) co_return;
    if (std::chrono::steady_clock::now() < next_tick) continue;
    tick();
    next_tick = std::chrono::steady_clock::now() + period;
  }
}

void Generation::every(std::chrono::milliseconds period, std::function<void()> tick) {
  spawn(logpulse::every(period, std::move(tick), stopped_));
}

void Generation::start(const std::vector<tail::CheckpointEntry>& entries, const tail::CheckpointState& state,
                       bool after_reload) {
  rules_.restore(state, steady_now_ms());
  tail::FollowerOptions options{.force_poll = config_.watcher == config::WatcherKind::kPoll,
                                .poll_interval = config_.poll_interval,
                                .rescan_interval = config_.rescan_interval,
                                .after_reload = after_reload};
  for (std::size_t i = 0; i < config_.sources.size(); ++i) {
    source_metrics_.push_back(self_metrics_.for_source(config_.sources[i].name));
    followers_.push_back(std::make_unique<tail::Follower>(io_.get_executor(), config_.sources[i], options,
                                                          *source_metrics_.back(), entries));
    match::SourceMatcher& matcher = rules_.matcher(i);
    spawn(pipeline::ingest(*followers_.back(), matcher));
    if (matcher.multiline()) {
      auto period = std::clamp(matcher.multiline_timeout() / 4, std::chrono::milliseconds(10),
                               std::chrono::milliseconds(250));
      every(period, [&matcher] { matcher.flush_idle(steady_now_ms()); });
    }
  }
  every(std::chrono::seconds(1), [this] { rules_.store().expire(steady_now_ms()); });
  evaluation_.restore(state.alert_lines);
  evaluation_.start();
  if (!evaluation_.idle_config()) every(evaluation_.tick_period(), [this] { evaluation_.tick(); });
}

void Generation::stop() {
  *stopped_ = true;
  for (auto& follower : followers_) follower->stop();
  evaluation_.stop();
}

std::vector<tail::CheckpointEntry> Generation::checkpoint_entries() const {
  std::vector<tail::CheckpointEntry> entries;
  for (const auto& follower : followers_) {
    auto more = follower->checkpoint_entries();
    entries.insert(entries.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  return entries;
}

}  // namespace logpulse
