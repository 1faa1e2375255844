// The long-running daemon: wires followers, ingestion, checkpoints, the HTTP server,
// signals and sd_notify together. Returns the process exit code.
#pragma once

#include <string>

#include "config/config.h"

namespace logpulse {

// `config_path` is read again on SIGHUP.
int run_daemon(const config::Config& config, const std::string& config_path);

}  // namespace logpulse
