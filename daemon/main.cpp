// logpulse: the command line. Parses arguments, sets up logging, loads the configuration and
// hands over to the daemon, to replay mode or to the health check. Exit codes: 0 ok, 2
// configuration or usage error, 1 runtime failure (--healthcheck: 1 for everything but
// usage, as Docker reserves 2).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "config/config_loader.h"
#include "http/server_tls.h"
#include "tls/client_tls.h"
#include "daemon/daemon.h"
#include "daemon/health_check.h"
#include "metrics/exposition.h"
#include "metrics/self_metrics.h"
#include "pipeline/evaluation.h"
#include "pipeline/analytics_board.h"
#include "pipeline/replay.h"
#include "pipeline/rule_pipeline.h"

namespace {

void setup_logging(const std::string& level) {
  const bool under_systemd = std::getenv("JOURNAL_STREAM") != nullptr || std::getenv("INVOCATION_ID") != nullptr;
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  std::shared_ptr<spdlog::logger> logger;
  if (tty && !under_systemd) {
    logger = spdlog::stderr_color_mt("logpulse");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  } else {
    logger = std::make_shared<spdlog::logger>("logpulse", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    // journald adds its own timestamps.
    logger->set_pattern(under_systemd ? "%l %v" : "%Y-%m-%dT%H:%M:%S.%e %l %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"logpulse: follows log files, turns lines into Prometheus metrics"};
  std::string config_path;
  bool check = false;
  bool once = false;
  bool explain = false;
  bool healthcheck = false;
  std::string log_level = "info";
  std::vector<std::string> logs;
  app.add_option("-c,--config", config_path, "configuration file (YAML)");
  app.add_flag("--check", check, "validate the configuration, print \"ok\" or the errors");
  app.add_flag("--once", once, "read the files from the beginning to their end, print the metrics, exit");
  app.add_flag("--explain", explain, "with --once: show which rules matched each line");
  app.add_flag("--healthcheck", healthcheck,
               "GET /-/healthy from the daemon running on CONFIG (its listen file); exit 0 on 200, else 1");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  logpulse::DaemonOptions daemon_options;
  app.add_flag("--web.enable-lifecycle", daemon_options.enable_lifecycle,
               "POST /-/reload reloads the configuration, POST /-/quit stops (as Prometheus)");
  unsigned threads = 0;
  app.add_option("--threads", threads, "with --once: matching threads (default: the number of cores)");
  app.add_option("logs", logs, "with --once: log files to read instead of the sources' paths");
  app.set_version_flag("--version", std::string("logpulse ") + LOGPULSE_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (config_path.empty()) {
    std::cerr << "logpulse: -c CONFIG is required (see --help)\n";
    return 2;
  }
  if (!logs.empty() && !once) {
    std::cerr << "logpulse: log files on the command line go with --once\n";
    return 2;
  }
  if (healthcheck && (check || once || explain)) {
    std::cerr << "logpulse: --healthcheck goes alone with -c CONFIG\n";
    return 2;
  }
  if (healthcheck) {
    // Only the configuration: the rules, certificates and the rest are the daemon's business.
    std::string problem;
    try {
      problem = logpulse::check_health(logpulse::config::load_file(config_path));
    } catch (const logpulse::config::ConfigError& e) {
      problem = e.what();
    }
    if (problem.empty()) return 0;
    std::cerr << "logpulse --healthcheck: " << problem << '\n';
    return 1;
  }
  if (threads == 0) threads = std::thread::hardware_concurrency();
  if (explain && !once) {
    std::cerr << "logpulse: --explain goes with --once\n";
    return 2;
  }
  setup_logging(log_level);

  logpulse::config::Config config;
  prometheus::Registry registry;
  logpulse::metrics::SelfMetrics self_metrics(registry);
  std::unique_ptr<logpulse::pipeline::RulePipeline> rules;
  try {
    config = logpulse::config::load_file(config_path);
    rules = std::make_unique<logpulse::pipeline::RulePipeline>(config, self_metrics);  // compiles the rules
    // web: a certificate or key that cannot be used is a configuration error, --check included.
    if (config.web.tls) logpulse::http::ServerTls::build(config.web.tls_server, config.file);
    logpulse::pipeline::alertmanager_options(config);  // alertmanager: URLs the client can use
    // remote_write: CA, certificate and key files OpenSSL can use.
    for (const auto& receiver : config.remote_write)
      if (receiver.url.rfind("https://", 0) == 0) logpulse::tls::ClientTls::build(receiver.tls, config.file);
  } catch (const logpulse::config::ConfigError& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
  if (check) {
    std::cout << "ok\n";
    return 0;
  }
  try {
    if (once) {
      auto result = logpulse::pipeline::replay(config, logs, self_metrics, *rules, explain ? &std::cout : nullptr,
                                               ::isatty(STDERR_FILENO) == 1 ? stderr : nullptr,
                                               std::max(1u, std::min(threads, std::thread::hardware_concurrency())));
      if (!explain) {
        // Windows as they stand at the end of the input: in event time for rules with a
        // timestamp (each window read at the latest time it was given).
        logpulse::pipeline::AnalyticsBoard windows;
        if (!rules->windows().empty()) {
          auto snapshot = rules->windows().snapshot_at_present();
          for (const auto& window : snapshot->windows())
            self_metrics.window_late(window.name).Increment(static_cast<double>(window.late));
          windows.publish(std::move(snapshot), {});
        }
        std::cout << logpulse::metrics::render_text({&registry, &rules->store(), &windows});
      }
      std::cout.flush();
      return result.unreadable_files > 0 && result.files == 0 ? 1 : 0;
    }
    rules.reset();
    return logpulse::run_daemon(config, config_path, daemon_options);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}
