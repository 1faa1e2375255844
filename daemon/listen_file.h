// The listen file: `state_dir/listen` names the addresses the HTTP server is bound to, one
// `host:port` a line (`[::1]:port` for IPv6), so that with `listen: ["127.0.0.1:0"]` tools
// and tests (and `logpulse --healthcheck`) learn the port the OS chose. Written atomically (temporary file, rename) after
// every listener is bound; a reader sees the old file or the whole new one, never a part.
// Control plane only; not thread safe (the daemon calls it from its start-up thread).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

namespace logpulse {

inline constexpr const char* kListenFileName = "listen";

// "127.0.0.1:45123" or "[::1]:45123".
std::string format_endpoint(const boost::asio::ip::tcp::endpoint& endpoint);

// Writes `state_dir/listen`; returns an empty string on success, else what failed.
std::string write_listen_file(const std::string& state_dir,
                              const std::vector<boost::asio::ip::tcp::endpoint>& endpoints);

// The addresses in `state_dir/listen`, in order. Empty when there are none; then `error`
// says why if the file could not be read ("open /var/lib/logpulse/listen: No such file ...").
std::vector<std::string> read_listen_file(const std::string& state_dir, std::string& error);

}  // namespace logpulse
