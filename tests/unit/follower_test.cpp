// Follower scenarios with looks on demand: a ManualWatcher wakes the follower only when the
// test asks, so the order of directory looks against file operations is fixed, not timed.
#include <doctest/doctest.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "metrics/self_metrics.h"
#include "tail/follower.h"
#include "tail/watcher.h"

using namespace logpulse;
using namespace logpulse::tail;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char name[] = "/tmp/logpulse-follower-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { fs::remove_all(path); }
};

void append(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::app);
  out << data;
}

// Wakes its follower for a look only when look() is called; counts the waits it entered.
class ManualWatcher final : public Watcher {
 public:
  explicit ManualWatcher(asio::any_io_executor executor) : timer_(executor) {}
  bool watch_directory(const std::string&) override { return true; }
  asio::awaitable<WakeReason> wait(std::chrono::milliseconds) override {
    ++waits_;
    if (!wake_) {
      timer_.expires_at(asio::steady_timer::time_point::max());
      co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    wake_ = false;
    co_return WakeReason{.rescan = true, .timed_out = false};
  }
  WakeReason poll() override { return {}; }
  bool broken() const override { return false; }
  void cancel() override {
    wake_ = true;
    timer_.cancel();
  }
  const char* kind() const override { return "manual"; }

  void look() { cancel(); }
  int waits() const { return waits_; }

 private:
  asio::steady_timer timer_;
  bool wake_ = false;
  int waits_ = 0;
};

// One source following `log`, no timed looks and no drain deadline within a test: every
// look is a look() of the test.
class Scenario {
 public:
  explicit Scenario(const fs::path& log) : metrics_(registry_), source_metrics_(metrics_.for_source("app")) {
    config::Source source;
    source.name = "app";
    source.paths = {log.string()};
    source.start_at = config::StartAt::kBeginning;
    source.rotate_wait = std::chrono::hours(1);
    FollowerOptions options;
    options.rescan_interval = std::chrono::hours(1);
    options.poll_interval = std::chrono::hours(1);
    options.make_watcher = [this](asio::any_io_executor executor) {
      auto watcher = std::make_unique<ManualWatcher>(executor);
      watcher_ = watcher.get();
      return watcher;
    };
    follower_ = std::make_unique<Follower>(context_.get_executor(), source, options, *source_metrics_,
                                           std::vector<CheckpointEntry>{});
    asio::co_spawn(
        context_,
        [this]() -> asio::awaitable<void> {
          while (const LineBatch* batch = co_await follower_->next()) {
            lines_ += batch->lines.size();
            follower_->commit(*batch);
          }
          finished_ = true;
        },
        asio::detached);
    run_until_idle(0);  // the first discovery, and reading what it found
  }
  ~Scenario() {
    follower_->stop();
    while (!finished_ && context_.run_one() > 0) {
    }
  }

  // One look, and everything read that it found, before returning.
  void look() {
    const int waits = watcher_->waits();
    watcher_->look();
    run_until_idle(waits);
  }
  std::size_t lines() const { return lines_; }
  double rotations() const { return source_metrics_->rotations.Value(); }
  double rescans() const { return source_metrics_->rescans.Value(); }

 private:
  void run_until_idle(int waits) {
    while (watcher_ == nullptr || watcher_->waits() == waits) REQUIRE(context_.run_one() > 0);
    context_.poll();
  }

  asio::io_context context_;
  prometheus::Registry registry_;
  metrics::SelfMetrics metrics_;
  std::unique_ptr<metrics::SourceMetrics> source_metrics_;
  std::unique_ptr<Follower> follower_;
  ManualWatcher* watcher_ = nullptr;
  std::size_t lines_ = 0;
  bool finished_ = false;
};

}  // namespace

TEST_CASE("an archive copy seen before the log went is not read when it comes back, however many looks it was away") {
  for (std::string how : {"deleted", "renamed"}) {
    for (int looks_while_away : {1, 2, 3}) {
      CAPTURE(how);
      CAPTURE(looks_while_away);
      TempDir dir;
      const fs::path log = dir.path / "app.log";
      append(log, "a\n");
      Scenario s(log);
      CHECK(s.lines() == 1);

      append(dir.path / "app.log.1", "x\n");  // an archive made by hand, seen by the next look
      s.look();
      if (how == "deleted")
        fs::remove(log);
      else
        fs::rename(log, dir.path / "app.log.0");
      for (int i = 0; i < looks_while_away; ++i) s.look();
      append(log, "b\n");
      s.look();
      s.look();
      CHECK(s.lines() == 2);
      CHECK(s.rotations() == 1);
    }
  }
}

TEST_CASE("a file rotated away twice between two looks is read from its start") {
  TempDir dir;
  const fs::path log = dir.path / "app.log";
  append(log, "a\n");
  Scenario s(log);
  fs::rename(log, dir.path / "app.log.1");
  append(log, "b1\nb2\n");
  fs::rename(dir.path / "app.log.1", dir.path / "app.log.2");
  fs::rename(log, dir.path / "app.log.1");
  append(log, "c\n");
  s.look();
  CHECK(s.lines() == 4);
  CHECK(s.rotations() == 2);
}

TEST_CASE("every completed look is counted in rescans, the first discovery included") {
  TempDir dir;
  const fs::path log = dir.path / "app.log";
  append(log, "a\n");
  Scenario s(log);
  CHECK(s.rescans() == 1);
  s.look();
  s.look();
  CHECK(s.rescans() == 3);
}
