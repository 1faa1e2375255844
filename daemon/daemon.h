// The long-running daemon: wires followers, ingestion, checkpoints, the HTTP server,
// signals and sd_notify together. Returns the process exit code.
#pragma once

#include <string>

#include "config/config.h"

namespace logpulse {

struct DaemonOptions {
  // --web.enable-lifecycle: POST /-/reload and /-/quit do what SIGHUP and SIGTERM do.
  bool enable_lifecycle = false;
};

// `config_path` is read again on SIGHUP (and POST /-/reload).
int run_daemon(const config::Config& config, const std::string& config_path, const DaemonOptions& options);

}  // namespace logpulse
