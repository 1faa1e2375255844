// The long-running daemon: wires followers, ingestion, checkpoints, the HTTP server,
// signals and sd_notify together. Returns the process exit code.
#pragma once

#include "config/config.h"

namespace logpulse {

int run_daemon(const config::Config& config);

}  // namespace logpulse
