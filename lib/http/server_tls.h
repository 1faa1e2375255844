// ServerTls: the OpenSSL context the HTTP server hands to each new TLS connection, built
// from web.tls_server_config and rebuilt when the certificate, key or client CA file
// changes, so a renewed certificate needs no restart.
//
//   ServerTls tls(config.web.tls_server, config.file);   // throws config::ConfigError
//   auto context = tls.current(Clock::now());   // checks the files at most once a second
//   tls.reload();                               // SIGHUP: re-read now
//
// A file that cannot be used is a ConfigError naming it at construction; later (a change
// seen by current(), or reload()) it is logged and the context in use is kept. Connections
// hold the shared_ptr of the context they started with. Not thread safe: the server's one
// io_context thread uses it.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"

namespace logpulse::http {

// How often a new connection may look at the files' modification times.
inline constexpr std::chrono::seconds kCertificateCheckInterval{1};

class ServerTls {
 public:
  using Clock = std::chrono::steady_clock;

  ServerTls(config::TlsServerConfig config, std::string config_file);
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  // Builds a context; throws config::ConfigError naming the configuration place and the file.
  static std::shared_ptr<boost::asio::ssl::context> build(const config::TlsServerConfig& config,
                                                           const std::string& config_file);

  // The context for a new connection; rebuilt first if a file changed (checked at most
  // every kCertificateCheckInterval).
  std::shared_ptr<boost::asio::ssl::context> current(Clock::time_point now);
  // Re-reads the files whatever their times say. Returns false (and logs) when refused.
  bool reload();
  std::uint64_t reloads() const { return reloads_; }

 private:
  // What identifies a file's content cheaply: its inode, size and modification time.
  std::vector<std::string> stamps() const;
  bool rebuild(std::vector<std::string> stamps);

  config::TlsServerConfig config_;
  std::string config_file_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::vector<std::string> stamps_;         // of the files context_ was built from, or last refused
  Clock::time_point next_check_{};
  std::uint64_t reloads_ = 0;
};

}  // namespace logpulse::http
