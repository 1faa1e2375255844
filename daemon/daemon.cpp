#include "daemon/daemon.h"

#include <sys/resource.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <future>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>

#include "config/config_loader.h"
#include "core/log_throttle.h"
#include "daemon/generation.h"
#include "daemon/listen_file.h"
#include "http/router.h"
#include "http/server.h"
#include "metrics/self_metrics.h"
#include "pipeline/analytics_board.h"
#include "pipeline/status_board.h"
#include "remote/remote_write_service.h"
#include "tail/checkpoint_store.h"

namespace logpulse {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

bool create_state_dir(const std::string& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) spdlog::error("cannot create state_dir {}: {}", state_dir, ec.message());
  return !ec;
}

class Daemon {
 public:
  Daemon(const config::Config& config, std::string config_path, const DaemonOptions& options)
      : config_path_(std::move(config_path)), options_(options), self_metrics_(*registry_) {
    // Throws config::ConfigError when the rules do not compile.
    current_ = std::make_unique<Generation>(ingest_io_, config, self_metrics_, *analytics_);
  }

  int run() {
    const config::Config& config = current_->config();
    if (!create_state_dir(config.state_dir)) return 1;
    tail::CheckpointLoad checkpoints = tail::load_checkpoints(config.state_dir);
    if (!checkpoints.problem.empty())
      spdlog::error("ignoring checkpoint file {}: {}; files start as if new", tail::checkpoint_path(config.state_dir),
                    checkpoints.problem);
    else
      spdlog::debug("loaded {} checkpoint entries", checkpoints.entries.size());

    http::Lifecycle lifecycle{options_.enable_lifecycle, [this] { return reload_from_http(); },
                              [this] { asio::post(ingest_io_, [this] { shutdown("POST /-/quit"); }); }};
    http::Router router([this] { return collectables(); }, board_, std::move(lifecycle), analytics_.get());
    http::WebSecurity security;
    try {
      security = http::make_web_security(config);
    } catch (const config::ConfigError& e) {
      spdlog::error("{}", e.what());
      return 2;
    }
    std::unique_ptr<http::HttpServer> server;
    try {
      server = std::make_unique<http::HttpServer>(
          http_io_, config.listen, [&router](const http::Request& r) { return router.handle(r); }, std::move(security));
      server_ = server.get();
    } catch (const std::exception& e) {
      spdlog::error("cannot listen: {}", e.what());
      return 1;
    }
    endpoints_ = server->local_endpoints();
    publish_listen_file(config.state_dir);
    set_store(current_->shared_store());
    current_->start(checkpoints.entries, checkpoints.state, /*after_reload=*/false);
    if (!config.remote_write.empty()) {
      // The Daemon owns remote write, not the Generation: its queues (and their files) and
      // connections outlive a reload that leaves remote_write as it was, which samples
      // whatever the new generation exposes.
      try {
        remote_write_ = make_remote_write(config);
      } catch (const config::ConfigError& e) {
        spdlog::error("{}", e.what());
        return 2;
      }
      remote_write_->start();
    }

    checkpoint_timer_ = std::make_unique<asio::steady_timer>(ingest_io_);
    schedule_checkpoint();
    asio::co_spawn(ingest_io_, every(250ms, [this] { publish_status(); }, never_), asio::detached);
    std::uint64_t watchdog_usec = 0;
    if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
      auto period = std::chrono::milliseconds(watchdog_usec / 2000);
      asio::co_spawn(ingest_io_, every(std::max(period, 100ms), [] { sd_notify(0, "WATCHDOG=1"); }, never_),
                     asio::detached);
    }

    asio::signal_set signals(ingest_io_, SIGTERM, SIGINT, SIGHUP);
    wait_for_signal(signals);

    std::thread http_thread([this] { http_io_.run(); });
    ingest_io_.run();
    drain_generations();
    if (remote_write_) remote_write_->stop();  // what is still queued stays on disk
    // Queued behind what the HTTP thread is doing, so the answer to POST /-/quit goes out.
    asio::post(http_io_, [this] { http_io_.stop(); });
    http_thread.join();
    return 0;
  }

 private:
  std::vector<std::shared_ptr<const prometheus::Collectable>> collectables() const {
    std::lock_guard lock(store_mutex_);
    return {registry_, store_, analytics_};
  }

  // After the loop stopped: the generations' coroutines (Alertmanager delivery among them)
  // refer to their generation, so they are let return before it is destroyed. Nothing reads
  // lines any more: a stopped follower hands out no batch.
  void drain_generations() {
    current_->stop();
    ingest_io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    auto finished = [this] {
      return current_->finished() &&
             std::all_of(retired_.begin(), retired_.end(), [](const auto& g) { return g->finished(); });
    };
    while (!finished() && std::chrono::steady_clock::now() < deadline) ingest_io_.run_for(20ms);
  }

  void set_store(std::shared_ptr<const metrics::MetricStore> store) {
    std::lock_guard lock(store_mutex_);
    store_ = std::move(store);
  }

  void wait_for_signal(asio::signal_set& signals) {
    signals.async_wait([this, &signals](const boost::system::error_code& error, int number) {
      if (error) return;
      if (number == SIGHUP) {
        reload("SIGHUP");
        wait_for_signal(signals);
        return;
      }
      shutdown(number == SIGTERM ? "SIGTERM" : "SIGINT");
    });
  }

  // SIGTERM, SIGINT or POST /-/quit: a final checkpoint, then the loops stop.
  void shutdown(const char* trigger) {
    if (stopping_.exchange(true)) return;
    spdlog::info("{}: writing a checkpoint and stopping", trigger);
    sd_notify(0, "STOPPING=1");
    writer_.join();  // a periodic write in flight finishes first: the final one is the last
    write_checkpoint(/*wait=*/true);
    ingest_io_.stop();
  }

  // POST /-/reload, on the HTTP thread: the reload itself runs on the ingestion thread, as
  // SIGHUP's does, and this thread waits for its outcome. Once a shutdown has begun the
  // ingestion loop may never run the posted reload, so the wait also ends on stopping_.
  std::string reload_from_http() {
    static constexpr auto kShuttingDown = "logpulse is shutting down";
    if (stopping_) return kShuttingDown;
    auto outcome = std::make_shared<std::promise<std::string>>();
    auto result = outcome->get_future();
    asio::post(ingest_io_,
               [this, outcome] { outcome->set_value(stopping_ ? kShuttingDown : reload("POST /-/reload")); });
    while (result.wait_for(50ms) == std::future_status::timeout)
      if (stopping_) return kShuttingDown;
    return result.get();
  }

  // SIGHUP or POST /-/reload: a new configuration replaces the running one without losing
  // offsets or the values of metrics whose definition did not change; a bad one is refused
  // and the old one keeps running. Returns "" or why the new configuration was refused.
  std::string reload(const char* trigger) {
    sd_notify(0, "RELOADING=1");
    spdlog::info("{}: reloading {}", trigger, config_path_);
    // A renewed certificate, whatever becomes of the configuration: re-read on the server's
    // thread, where a bad one is refused and the one in use stays.
    asio::post(http_io_, [this] { server_->reload_tls(); });
    std::unique_ptr<Generation> next;
    std::unique_ptr<remote::RemoteWriteService> next_remote_write;
    try {
      config::Config config = config::load_file(config_path_);
      if (!create_state_dir(config.state_dir)) throw config::ConfigError(config_path_ + ": state_dir cannot be created");
      if (config.listen.size() != current_->config().listen.size() ||
          !std::equal(config.listen.begin(), config.listen.end(), current_->config().listen.begin(),
                      [](const auto& a, const auto& b) { return a.host == b.host && a.port == b.port; }))
        spdlog::warn("{}: a change of 'listen' takes effect at the next restart", trigger);
      if (!(config.web == current_->config().web))
        spdlog::warn("{}: a change of 'web' takes effect at the next restart (the certificate files are re-read now)", trigger);
      // A change of remote_write (receivers, tls_config, ...) replaces the service; its TLS
      // files are checked here, so a bad one refuses the reload.
      if (config.remote_write != current_->config().remote_write) next_remote_write = make_remote_write(config);
      next = std::make_unique<Generation>(ingest_io_, std::move(config), self_metrics_, *analytics_);
    } catch (const std::exception& e) {
      spdlog::error("{}: the new configuration is refused, the running one stays: {}", trigger, e.what());
      sd_notify(0, "READY=1");
      return e.what();
    }
    // The running generation is between batches here (same thread): its committed offsets
    // and metric state are consistent, as in a checkpoint.
    auto entries = current_->checkpoint_entries();
    auto state = current_->checkpoint_state();
    const bool state_dir_changed = current_->config().state_dir != next->config().state_dir;
    if (current_->config().remote_write != next->config().remote_write) replace_remote_write(std::move(next_remote_write));
    current_->stop();
    retired_.push_back(std::move(current_));
    current_ = std::move(next);
    if (state_dir_changed) publish_listen_file(current_->config().state_dir);
    set_store(current_->shared_store());
    current_->start(entries, state, /*after_reload=*/true);
    schedule_checkpoint();
    sd_notify(0, "READY=1");
    spdlog::info("{}: configuration reloaded: {} source(s), {} rule(s)", trigger, current_->config().sources.size(),
                 current_->config().rules.size());
    return "";
  }

  // Null when the configuration has no remote_write. Throws config::ConfigError for a TLS
  // file that cannot be used.
  std::unique_ptr<remote::RemoteWriteService> make_remote_write(const config::Config& config) {
    if (config.remote_write.empty()) return nullptr;
    return std::make_unique<remote::RemoteWriteService>(config.remote_write, config.state_dir, config.file,
                                                        [this] { return collectables(); }, *registry_);
  }

  // The old service stops first: what it had queued stays in its segment files, which the
  // new one (the same URL, the same state_dir) loads and sends first. Queues of receivers
  // no longer configured stay on disk, untouched.
  void replace_remote_write(std::unique_ptr<remote::RemoteWriteService> next) {
    if (remote_write_) remote_write_->stop();
    remote_write_ = std::move(next);
    if (remote_write_) remote_write_->start();
    spdlog::info("remote write: {} receiver(s) after the reload",
                 remote_write_ ? remote_write_->receivers().size() : 0);
  }

  // Tools and tests read the bound ports (port 0 = chosen by the OS) from state_dir/listen.
  void publish_listen_file(const std::string& state_dir) {
    const std::string problem = write_listen_file(state_dir, endpoints_);
    if (!problem.empty()) spdlog::warn("cannot write the listen file: {}", problem);
  }

  void schedule_checkpoint() {
    checkpoint_timer_->expires_after(current_->config().checkpoint_interval);
    checkpoint_timer_->async_wait([this](const boost::system::error_code& error) {
      if (error) return;  // rescheduled by a reload, or stopping
      write_checkpoint();
      schedule_checkpoint();
    });
  }

  // The snapshot is taken here, between batches, so offsets and metric state agree; encoding,
  // writing and fsync run on the writer thread so that a slow disk does not stall reading.
  void write_checkpoint(bool wait = false) {
    auto save = [dir = current_->config().state_dir, entries = current_->checkpoint_entries(),
                 state = current_->checkpoint_state(), this] {
      try {
        tail::save_checkpoints(dir, entries, state);
        std::lock_guard lock(checkpoint_mutex_);
        last_checkpoint_ = std::chrono::steady_clock::now();
        if (failed_checkpoints_ > 0)
          spdlog::info("the checkpoint is written again after {} failed attempt(s)", failed_checkpoints_);
        failed_checkpoints_ = 0;
      } catch (const std::exception& e) {
        self_metrics_.checkpoint_errors().Increment();
        std::lock_guard lock(checkpoint_mutex_);
        ++failed_checkpoints_;
        // Every interval would fail the same way: log once a minute, count every one.
        if (checkpoint_log_.allow(dir))
          spdlog::error("writing the checkpoint failed ({} time(s) in a row; logged at most once a minute, "
                        "counted in logpulse_checkpoint_errors_total): {}",
                        failed_checkpoints_, e.what());
      }
    };
    if (wait) {
      save();
    } else if (!writing_.exchange(true)) {
      asio::post(writer_, [save = std::move(save), this] {
        save();
        writing_ = false;
      });
    } else {
      spdlog::warn("the previous checkpoint is still being written: skipping this one");
    }
  }

  void publish_status() {
    std::erase_if(retired_, [](const auto& generation) { return generation->finished(); });
    std::vector<pipeline::SourceStatus> sources;
    bool all_discovered = true;
    const auto& followers = current_->followers();
    for (std::size_t i = 0; i < followers.size(); ++i) {
      const auto& follower = *followers[i];
      const auto& metrics = current_->source_metrics(i);
      all_discovered = all_discovered && follower.discovered();
      pipeline::SourceStatus status;
      status.name = follower.name();
      status.watcher = follower.watcher_kind();
      status.lines_read = static_cast<std::uint64_t>(metrics.lines_read.Value());
      status.bytes_read = static_cast<std::uint64_t>(metrics.bytes_read.Value());
      status.lines_unmatched = static_cast<std::uint64_t>(self_metrics_.lines_unmatched(follower.name()).Value());
      status.has_rules = current_->has_rules(i);
      for (const auto& rule : current_->config().rules) {
        if (rule.source != status.name) continue;
        status.rules.push_back(
            {rule.name, static_cast<std::uint64_t>(self_metrics_.lines_matched(rule.name).Value()), 0});
      }
      current_->unmatched_samples(i).copy_to(status.unmatched_samples);
      status.files = follower.status();
      sources.push_back(std::move(status));
    }
    board_.publish(std::move(sources));
    {
      std::lock_guard lock(checkpoint_mutex_);
      if (last_checkpoint_)
        self_metrics_.checkpoint_age_seconds().Set(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - *last_checkpoint_).count());
    }
    if (all_discovered && !board_.ready()) {
      board_.set_ready();
      sd_notify(0, "READY=1");
      spdlog::info("ready: {} source(s) discovered", followers.size());
    }
  }

  std::string config_path_;
  DaemonOptions options_;
  std::atomic<bool> stopping_{false};  // set by the first shutdown, read by the HTTP thread
  // The daemon's own timers run until the io_context stops.
  std::shared_ptr<const bool> never_ = std::make_shared<const bool>(false);
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  metrics::SelfMetrics self_metrics_;
  asio::io_context ingest_io_{1};
  asio::io_context http_io_{1};
  std::unique_ptr<Generation> current_;
  std::vector<std::unique_ptr<Generation>> retired_;
  std::unique_ptr<asio::steady_timer> checkpoint_timer_;
  // Samples registry_, store_ and analytics_ through collectables() on its own thread:
  // stopped in run() before any of them goes.
  std::unique_ptr<remote::RemoteWriteService> remote_write_;
  mutable std::mutex store_mutex_;
  std::shared_ptr<const metrics::MetricStore> store_;
  pipeline::StatusBoard board_;
  std::shared_ptr<pipeline::AnalyticsBoard> analytics_ = std::make_shared<pipeline::AnalyticsBoard>();
  std::mutex checkpoint_mutex_;
  std::optional<std::chrono::steady_clock::time_point> last_checkpoint_;  // guarded by checkpoint_mutex_
  std::uint64_t failed_checkpoints_ = 0;                                  // guarded by checkpoint_mutex_
  core::LogThrottle checkpoint_log_;                                      // guarded by checkpoint_mutex_
  std::vector<asio::ip::tcp::endpoint> endpoints_;                        // the bound listeners
  http::HttpServer* server_ = nullptr;  // lives in run(); used on the http thread only
  std::atomic<bool> writing_{false};
  asio::thread_pool writer_{1};  // last member: joined (on destruction) before the rest goes
};

}  // namespace

int run_daemon(const config::Config& config, const std::string& config_path, const DaemonOptions& options) {
  raise_open_file_limit();
  std::signal(SIGPIPE, SIG_IGN);
  Daemon daemon(config, config_path, options);
  return daemon.run();
}

}  // namespace logpulse
