// Delivery to a real Alertmanager (Debian's prometheus-alertmanager): started here on a
// loopback port with clustering off and its storage in a temporary directory. An alert
// POSTed through AlertmanagerSender must show up in Alertmanager's own API with its labels
// and annotations; sent again with endsAt in the past it must leave the active list.
// Exits 0 on success, 1 on failure, 77 (ctest SKIP_RETURN_CODE) when the binary is absent.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <simdjson.h>
#include <string>
#include <vector>

#include "../unit/scripted_http_server.h"
#include "alert/alertmanager_sender.h"
#include "net/http_client.h"

extern char** environ;

using namespace logpulse;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr auto kStartTimeout = 30s;
constexpr auto kApiTimeout = 10s;

int failures = 0;
void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << std::endl;
  if (!ok) ++failures;
}

std::string find_alertmanager() {
  if (const char* env = std::getenv("LOGPULSE_ALERTMANAGER_BIN")) return env;
  for (const char* candidate : {"/usr/bin/prometheus-alertmanager", "/usr/local/bin/alertmanager", "/usr/bin/alertmanager"})
    if (::access(candidate, X_OK) == 0) return candidate;
  return {};
}

std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  return acceptor.local_endpoint().port();
}

std::string rfc3339(std::chrono::system_clock::time_point at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

struct Process {
  pid_t pid = -1;
  ~Process() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  }
};

std::optional<net::HttpResult> get(asio::io_context& io, net::HttpClient& client, const std::string& url) {
  auto out = std::make_shared<std::optional<net::HttpResult>>();
  auto parsed = net::Url::parse(url);
  asio::co_spawn(
      io, [&client, out, target = *parsed]() -> asio::awaitable<void> { *out = co_await client.get(target); },
      asio::detached);
  testing::run_until(io, [&] { return out->has_value(); }, std::chrono::duration_cast<std::chrono::milliseconds>(kApiTimeout));
  return *out;
}

// The alert with this instance label in GET /api/v2/alerts, as its JSON text; empty if absent.
struct Found {
  bool present = false;
  std::string severity, summary, state;
};

Found find_alert(const std::string& body, const std::string& instance) {
  Found found;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root)) return found;
  simdjson::dom::array alerts;
  if (root.get_array().get(alerts)) return found;
  for (auto alert : alerts) {
    std::string_view value;
    if (alert["labels"]["instance"].get_string().get(value) || value != instance) continue;
    found.present = true;
    if (!alert["labels"]["severity"].get_string().get(value)) found.severity = value;
    if (!alert["annotations"]["summary"].get_string().get(value)) found.summary = value;
    if (!alert["status"]["state"].get_string().get(value)) found.state = value;
  }
  return found;
}

// Polls GET /api/v2/alerts (every 50 ms, on the io_context's timer) until `wanted` holds.
template <class Predicate>
Found poll_alert(asio::io_context& io, net::HttpClient& client, const std::string& base, const std::string& instance,
                 Predicate wanted) {
  const auto deadline = std::chrono::steady_clock::now() + kApiTimeout;
  Found found;
  while (std::chrono::steady_clock::now() < deadline) {
    auto result = get(io, client, base + "/api/v2/alerts");
    if (result && result->ok()) {
      found = find_alert(result->body, instance);
      if (wanted(found)) return found;
    }
    asio::steady_timer pause(io, 50ms);
    bool paused = false;
    pause.async_wait([&](auto) { paused = true; });
    testing::run_until(io, [&] { return paused; });
  }
  return found;
}

}  // namespace

int main() {
  const auto binary = find_alertmanager();
  if (binary.empty()) {
    std::cout << "SKIP: prometheus-alertmanager is not installed (scripts/install-deps.sh --test installs it)\n";
    return 77;
  }

  const fs::path dir = fs::temp_directory_path() / ("logpulse-am-" + std::to_string(::getpid()));
  fs::create_directories(dir / "data");
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{dir};
  std::ofstream(dir / "alertmanager.yml") << "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n";

  const auto port = free_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  std::vector<std::string> args = {binary,
                                   "--config.file=" + (dir / "alertmanager.yml").string(),
                                   "--storage.path=" + (dir / "data").string(),
                                   "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                   "--cluster.listen-address=",
                                   "--log.level=warn"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log_path = (dir / "alertmanager.log").string();
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  Process alertmanager;
  if (posix_spawn(&alertmanager.pid, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
    std::cout << "FAIL could not start " << binary << "\n";
    return 1;
  }
  posix_spawn_file_actions_destroy(&actions);

  asio::io_context io;
  net::HttpClient client(io.get_executor());
  const auto started = std::chrono::steady_clock::now();
  bool ready = false;
  while (!ready && std::chrono::steady_clock::now() - started < kStartTimeout) {
    auto result = get(io, client, base + "/-/ready");
    ready = result && result->ok();
    if (!ready) {
      asio::steady_timer pause(io, 50ms);
      bool paused = false;
      pause.async_wait([&](auto) { paused = true; });
      testing::run_until(io, [&] { return paused; });
    }
  }
  check(ready, "alertmanager ready on " + base);
  if (!ready) {
    std::ifstream log(log_path);
    std::cout << log.rdbuf();
    return 1;
  }
  std::cout << "     ready after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
            << " ms\n";

  alert::AlertmanagerSenderOptions options;
  options.urls.push_back(*net::Url::parse(base));
  alert::AlertmanagerSender sender(io, options);
  sender.start();

  const std::string instance = "logpulse-test-" + std::to_string(::getpid());
  const auto now = std::chrono::system_clock::now();
  auto render = [&](std::chrono::system_clock::time_point ends_at) {
    return R"([{"labels":{"alertname":"LogpulseDeliveryTest","severity":"page","instance":")" + instance +
           R"("},"annotations":{"summary":"5xx rate is 7 per second"},"startsAt":")" + rfc3339(now - 10s) +
           R"(","endsAt":")" + rfc3339(ends_at) + R"(","generatorURL":"http://logpulse.local/"}])";
  };

  const auto sent_at = std::chrono::steady_clock::now();
  sender.enqueue(render(now + 1h), 1);
  check(testing::run_until(io, [&] { return sender.counters().sent == 1; }), "firing alert POSTed (2xx)");
  auto firing = poll_alert(io, client, base, instance, [](const Found& f) { return f.present; });
  std::cout << "     visible in the API after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent_at).count()
            << " ms\n";
  check(firing.present, "alert listed by GET /api/v2/alerts");
  check(firing.severity == "page", "label severity=page (got \"" + firing.severity + "\")");
  check(firing.summary == "5xx rate is 7 per second", "annotation summary (got \"" + firing.summary + "\")");
  check(firing.state == "active", "state active (got \"" + firing.state + "\")");

  sender.enqueue(render(now - 1s), 1);
  check(testing::run_until(io, [&] { return sender.counters().sent == 2; }), "resolved alert POSTed (2xx)");
  auto resolved = poll_alert(io, client, base, instance, [](const Found& f) { return !f.present; });
  check(!resolved.present, "resolved alert gone from the active list");
  check(sender.counters().failed == 0 && sender.counters().dropped == 0, "no failed or dropped notifications");

  // A burst as large as the queue: every alert arrives, in POSTs of up to 64.
  constexpr int kBurst = static_cast<int>(alert::kMaxQueuedAlerts);
  const auto burst_started = std::chrono::steady_clock::now();
  for (int i = 0; i < kBurst; ++i)
    sender.enqueue(R"([{"labels":{"alertname":"LogpulseBurst","instance":")" + instance + "-" + std::to_string(i) +
                       R"("},"startsAt":")" + rfc3339(now) + R"(","endsAt":")" + rfc3339(now + 1h) + R"("}])",
                   1);
  check(testing::run_until(io, [&] { return sender.counters().sent == 2 + kBurst; }, 10000ms),
        "burst of " + std::to_string(kBurst) + " alerts POSTed");
  const auto burst_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - burst_started).count();
  std::cout << "     " << kBurst << " alerts delivered in " << burst_ms << " ms\n";
  auto listed = get(io, client, base + "/api/v2/alerts?filter=alertname%3D%22LogpulseBurst%22");
  std::size_t count = 0;
  if (listed && listed->ok()) {
    simdjson::dom::parser parser;
    simdjson::dom::array alerts;
    if (!parser.parse(listed->body).get_array().get(alerts)) count = alerts.size();
  }
  check(count == static_cast<std::size_t>(kBurst),
        "all " + std::to_string(kBurst) + " listed by Alertmanager (got " + std::to_string(count) + ")");
  check(sender.counters().dropped == 0 && sender.counters().failed == 0, "none dropped or failed");

  sender.stop();
  client.shutdown();
  testing::run_until(io, [&] { return sender.idle(); }, 2000ms);
  if (failures) {
    std::ifstream log(log_path);
    std::cout << "alertmanager log:\n" << log.rdbuf();
  }
  return failures == 0 ? 0 : 1;
}
