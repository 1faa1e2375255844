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
#include "tail/inotify_watcher.h"
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
// With `names`, the name changes are inotify's, real ones; without, none are known (as when
// polling).
class ManualWatcher final : public Watcher {
 public:
  ManualWatcher(asio::any_io_executor executor, bool names) : timer_(executor) {
    if (names) inotify_ = std::make_unique<InotifyWatcher>(executor);
  }
  bool watch_directory(const std::string& directory) override {
    return inotify_ ? inotify_->watch_directory(directory) : true;
  }
  NameChanges take_name_changes() override { return inotify_ ? inotify_->take_name_changes() : NameChanges{}; }
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
  std::unique_ptr<InotifyWatcher> inotify_;
  bool wake_ = false;
  int waits_ = 0;
};

// One source following `log`, no timed looks and no drain deadline within a test: every
// look is a look() of the test.
class Scenario {
 public:
  enum class Names { kUnknown, kInotify };
  explicit Scenario(const fs::path& log, Names names = Names::kUnknown) : metrics_(registry_), source_metrics_(metrics_.for_source("app")) {
    config::Source source;
    source.name = "app";
    source.paths = {log.string()};
    source.start_at = config::StartAt::kBeginning;
    source.rotate_wait = std::chrono::hours(1);
    FollowerOptions options;
    options.rescan_interval = std::chrono::hours(1);
    options.poll_interval = std::chrono::hours(1);
    options.make_watcher = [this, names](asio::any_io_executor executor) {
      auto watcher = std::make_unique<ManualWatcher>(executor, names == Names::kInotify);
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
  for (auto names : {Scenario::Names::kUnknown, Scenario::Names::kInotify})
  for (std::string how : {"deleted", "renamed"}) {
    for (int looks_while_away : {1, 2, 3}) {
      CAPTURE(names == Scenario::Names::kInotify);
      CAPTURE(how);
      CAPTURE(looks_while_away);
      TempDir dir;
      const fs::path log = dir.path / "app.log";
      append(log, "a\n");
      Scenario s(log, names);
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
  for (auto names : {Scenario::Names::kUnknown, Scenario::Names::kInotify}) {
  CAPTURE(names == Scenario::Names::kInotify);
  TempDir dir;
  const fs::path log = dir.path / "app.log";
  append(log, "a\n");
  Scenario s(log, names);
  s.look();  // a look with every watch in place: from here on inotify knows every name
  fs::rename(log, dir.path / "app.log.1");
  append(log, "b1\nb2\n");
  fs::rename(dir.path / "app.log.1", dir.path / "app.log.2");
  fs::rename(log, dir.path / "app.log.1");
  append(log, "c\n");
  s.look();
  CHECK(s.lines() == 4);
  CHECK(s.rotations() == 2);
  }
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

// Where the looks cannot tell and the renames can: inotify's rename events decide.

TEST_CASE("inotify: an archive made in the same interval as the rotation is not read") {
  TempDir dir;
  const fs::path log = dir.path / "app.log";
  append(log, "a\n");
  Scenario s(log, Scenario::Names::kInotify);
  s.look();
  // Between two looks: an archive written by hand (content never read), the log deleted
  // and re-created. The looks see a new file beside a rotated path; no rename made it.
  append(dir.path / "app.log.1", "x\n");
  fs::remove(log);
  append(log, "b\n");
  s.look();
  s.look();
  CHECK(s.lines() == 2);
  CHECK(s.rotations() == 1);
}

TEST_CASE("inotify: a file renamed from the path while the path was away at every look is read") {
  TempDir dir;
  const fs::path log = dir.path / "app.log";
  append(log, "a\n");
  Scenario s(log, Scenario::Names::kInotify);
  s.look();
  fs::remove(log);
  s.look();
  // Written at the path and renamed away between two looks that both found the path absent.
  append(log, "y\n");
  fs::rename(log, dir.path / "app.log.1");
  s.look();
  append(log, "z\n");
  s.look();
  CHECK(s.lines() == 3);
  CHECK(s.rotations() == 2);
}

TEST_CASE("inotify: renames are paired into name changes, creations and deletions kept in order") {
  TempDir dir;
  asio::io_context context;
  InotifyWatcher watcher(context.get_executor());
  REQUIRE(watcher.watch_directory(dir.path.string()));
  CHECK_FALSE(watcher.take_name_changes().complete);  // a new watch: what came before is unknown
  append(dir.path / "app.log", "a\n");
  fs::rename(dir.path / "app.log", dir.path / "app.log.1");
  fs::remove(dir.path / "app.log.1");
  NameChanges names = watcher.take_name_changes();
  CHECK(names.complete);
  REQUIRE(names.changes.size() == 3);
  CHECK(names.changes[0].kind == NameChange::Kind::kAppeared);
  CHECK(names.changes[0].path == (dir.path / "app.log").string());
  CHECK(names.changes[1].kind == NameChange::Kind::kRenamed);
  CHECK(names.changes[1].from == (dir.path / "app.log").string());
  CHECK(names.changes[1].path == (dir.path / "app.log.1").string());
  CHECK(names.changes[2].kind == NameChange::Kind::kRemoved);
  CHECK(names.changes[2].path == (dir.path / "app.log.1").string());
  CHECK(watcher.take_name_changes().changes.empty());
}
