#include "daemon/daemon.h"

#include <sys/resource.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <filesystem>
#include <spdlog/spdlog.h>
#include <thread>

#include "http/router.h"
#include "http/server.h"
#include "metrics/self_metrics.h"
#include "pipeline/ingest.h"
#include "pipeline/rule_pipeline.h"
#include "pipeline/status_board.h"
#include "tail/checkpoint_store.h"
#include "tail/follower.h"

namespace logpulse {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Calls `tick` every `period` until the io_context stops.
asio::awaitable<void> every(std::chrono::milliseconds period, std::function<void()> tick) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(period);
    auto [error] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (error) co_return;
    tick();
  }
}

class Daemon {
 public:
  // Throws config::ConfigError for rules that do not compile.
  explicit Daemon(const config::Config& config)
      : config_(config), self_metrics_(*registry_), rules_(config, self_metrics_) {}

  int run() {
    std::error_code ec;
    std::filesystem::create_directories(config_.state_dir, ec);
    if (ec) {
      spdlog::error("cannot create state_dir {}: {}", config_.state_dir, ec.message());
      return 1;
    }
    tail::CheckpointLoad checkpoints = tail::load_checkpoints(config_.state_dir);
    if (!checkpoints.problem.empty())
      spdlog::error("ignoring checkpoint file {}: {}; files start as if new", tail::checkpoint_path(config_.state_dir),
                    checkpoints.problem);
    else
      spdlog::debug("loaded {} checkpoint entries", checkpoints.entries.size());
    rules_.restore(checkpoints.state, now_ms());

    tail::FollowerOptions options{.force_poll = config_.watcher == config::WatcherKind::kPoll,
                                  .poll_interval = config_.poll_interval,
                                  .rescan_interval = config_.rescan_interval};
    for (const auto& source : config_.sources) {
      source_metrics_.push_back(self_metrics_.for_source(source.name));
      followers_.push_back(std::make_unique<tail::Follower>(ingest_io_.get_executor(), source, options,
                                                            *source_metrics_.back(), checkpoints.entries));
    }

    http::Router router({registry_.get(), &rules_.store()}, board_);
    std::unique_ptr<http::HttpServer> server;
    try {
      server = std::make_unique<http::HttpServer>(http_io_, config_.listen,
                                                  [&router](const http::Request& r) { return router.handle(r); });
    } catch (const std::exception& e) {
      spdlog::error("cannot listen: {}", e.what());
      return 1;
    }

    for (std::size_t i = 0; i < followers_.size(); ++i) {
      match::SourceMatcher& matcher = rules_.matcher(i);
      asio::co_spawn(ingest_io_, pipeline::ingest(*followers_[i], matcher), asio::detached);
      if (matcher.multiline()) {
        auto period = std::clamp(matcher.multiline_timeout() / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
        asio::co_spawn(ingest_io_, every(period, [&matcher] { matcher.flush_idle(now_ms()); }), asio::detached);
      }
    }
    asio::co_spawn(ingest_io_, every(1s, [this] { rules_.store().expire(now_ms()); }), asio::detached);
    asio::co_spawn(ingest_io_, every(config_.checkpoint_interval, [this] { write_checkpoint(); }), asio::detached);
    asio::co_spawn(ingest_io_, every(250ms, [this] { publish_status(); }), asio::detached);
    std::uint64_t watchdog_usec = 0;
    if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
      auto period = std::chrono::milliseconds(watchdog_usec / 2000);
      asio::co_spawn(ingest_io_, every(std::max(period, 100ms), [] { sd_notify(0, "WATCHDOG=1"); }), asio::detached);
    }

    asio::signal_set signals(ingest_io_, SIGTERM, SIGINT, SIGHUP);
    wait_for_signal(signals);

    std::thread http_thread([this] { http_io_.run(); });
    ingest_io_.run();
    http_io_.stop();
    http_thread.join();
    return 0;
  }

 private:
  void wait_for_signal(asio::signal_set& signals) {
    signals.async_wait([this, &signals](const boost::system::error_code& error, int number) {
      if (error) return;
      if (number == SIGHUP) {
        spdlog::warn("SIGHUP: configuration reload is not available in this version; restart to apply changes");
        wait_for_signal(signals);
        return;
      }
      spdlog::info("{}: writing a checkpoint and stopping", number == SIGTERM ? "SIGTERM" : "SIGINT");
      sd_notify(0, "STOPPING=1");
      write_checkpoint();
      ingest_io_.stop();
    });
  }

  void write_checkpoint() {
    std::vector<tail::CheckpointEntry> entries;
    for (const auto& follower : followers_) {
      auto more = follower->checkpoint_entries();
      entries.insert(entries.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    try {
      tail::save_checkpoints(config_.state_dir, entries, rules_.save());
      last_checkpoint_ = std::chrono::steady_clock::now();
      self_metrics_.checkpoint_age_seconds().Set(0);
    } catch (const std::exception& e) {
      spdlog::error("writing the checkpoint failed: {}", e.what());
    }
  }

  void publish_status() {
    std::vector<pipeline::SourceStatus> sources;
    bool all_discovered = true;
    for (std::size_t i = 0; i < followers_.size(); ++i) {
      const auto& follower = *followers_[i];
      all_discovered = all_discovered && follower.discovered();
      sources.push_back(pipeline::SourceStatus{
          follower.name(), follower.watcher_kind(),
          static_cast<std::uint64_t>(source_metrics_[i]->lines_read.Value()),
          static_cast<std::uint64_t>(source_metrics_[i]->bytes_read.Value()), 0, follower.status()});
    }
    board_.publish(std::move(sources));
    if (last_checkpoint_) {
      self_metrics_.checkpoint_age_seconds().Set(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - *last_checkpoint_).count());
    }
    if (all_discovered && !board_.ready()) {
      board_.set_ready();
      sd_notify(0, "READY=1");
      spdlog::info("ready: {} source(s) discovered", followers_.size());
    }
  }

  const config::Config& config_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  metrics::SelfMetrics self_metrics_;
  pipeline::RulePipeline rules_;
  asio::io_context ingest_io_{1};
  asio::io_context http_io_{1};
  std::vector<std::unique_ptr<metrics::SourceMetrics>> source_metrics_;
  std::vector<std::unique_ptr<tail::Follower>> followers_;
  pipeline::StatusBoard board_;
  std::optional<std::chrono::steady_clock::time_point> last_checkpoint_;
};

}  // namespace

int run_daemon(const config::Config& config) {
  raise_open_file_limit();
  std::signal(SIGPIPE, SIG_IGN);
  Daemon daemon(config);
  return daemon.run();
}

}  // namespace logpulse
