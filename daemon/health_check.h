// The container health check, `logpulse -c CONFIG --healthcheck`: asks the daemon running on
// CONFIG whether it is healthy, so an image's HEALTHCHECK needs no curl or shell script.
//
//   std::string problem = check_health(config);   // "" when GET /-/healthy answered 200
//
// Contract. The address is the first line of the listen file the daemon wrote in
// CONFIG's state_dir (daemon/listen_file.h), so a port chosen by the OS or changed by a
// mounted configuration is followed; a wildcard address (0.0.0.0, [::]) is reached on
// loopback. The request is GET /-/healthy over plain HTTP, or over HTTPS when
// web.tls_server_config is set: then the server's certificate is not verified (the check
// connects to its own daemon, by address, and only wants its answer) and any protocol
// version and cipher the server may be limited to is offered. No credentials are sent:
// with basic_auth_users, the check passes only with `web.health_without_auth: true`; a
// client_auth_type that requires a client certificate makes it fail. Everything (connect,
// handshake, request, answer) is bounded by kHealthCheckTimeout. The result is empty on a
// 200, else one line saying what failed and, where one is known, what to change.
// Runs its own io_context on the calling thread; holds nothing once it returns.
#pragma once

#include <chrono>
#include <string>

#include "config/config.h"

namespace logpulse {

// Within Docker's default HEALTHCHECK --timeout (30 s) and the image's (5 s), so a hung
// daemon is reported by the check itself rather than by the runtime killing it.
inline constexpr std::chrono::seconds kHealthCheckTimeout{4};

// "" when healthy, else what failed (one line, no trailing newline).
std::string check_health(const config::Config& config,
                         std::chrono::steady_clock::duration timeout = kHealthCheckTimeout);

}  // namespace logpulse
