// ClientTls: the OpenSSL client context for connections to one TLS server, built from a
// Prometheus-style tls_config (remote_write[].tls_config; for an https URL without one, the
// system's CA store) and rebuilt when its CA, certificate or key file changes on disk, so a
// renewed certificate needs no restart.
//
//   tls::ClientTls tls(config.tls, config.file);     // throws config::ConfigError
//   auto current = tls.current();                    // before each new connection
//   if (!current.refused.empty()) ...fail this attempt...; else use *current.context:
//   beast::ssl_stream<beast::tcp_stream> stream(executor, *current.context);
//   tls.prepare(stream.native_handle(), url.host()); // SNI and the name to verify
//
// Verification (unless insecure_skip_verify): the server's chain against ca_file, or the
// system's store without it, and its name, server_name or else the URL's host, against the
// certificate's subjectAltName (DNS names, or IP addresses when the name is one). A client
// certificate (cert_file + key_file) is presented when the server asks (mTLS).
// Files: checked by their stamp (tls/file_stamp.h) at each current(), which a client calls
// once per new connection: a stat of up to three files. A file that cannot be used is a
// ConfigError naming the configuration's FILE:LINE:COLUMN of its key at construction; later
// it is logged (at most once a minute), current() says so once in `refused` (the caller
// counts a failed attempt), and the previous context stays in use until the files change
// again. Connections hold the shared_ptr of the context they started with.
// Threads: not thread safe; one client's executor thread uses it.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/log_throttle.h"

namespace logpulse::tls {

class ClientTls {
 public:
  ClientTls(config::TlsClientConfig config, std::string config_file);
  ClientTls(const ClientTls&) = delete;
  ClientTls& operator=(const ClientTls&) = delete;
  ClientTls(ClientTls&&) = delete;
  ClientTls& operator=(ClientTls&&) = delete;

  // Builds a context; throws config::ConfigError naming the configuration place of the
  // key whose file cannot be used (for --check and loads).
  static std::shared_ptr<boost::asio::ssl::context> build(const config::TlsClientConfig& config,
                                                           const std::string& config_file);

  struct Current {
    std::shared_ptr<boost::asio::ssl::context> context;  // never null
    std::string refused;  // non-empty once after a change of the files was refused: why
  };
  // The context for a new connection, rebuilt first if a file's stamp changed.
  Current current();

  // Sets up a new connection's SSL object: SNI (a host name, not an IP address) and the
  // name its certificate must carry. `url_host` is the URL's host without brackets.
  // Returns false (and leaves OpenSSL's error queue) when OpenSSL refuses the name.
  bool prepare(SSL* ssl, std::string_view url_host) const;

  // Bumped at each rebuild.
  std::uint64_t generation() const { return generation_; }
  const config::TlsClientConfig& config() const { return config_; }

 private:
  std::vector<std::string> stamps() const;

  config::TlsClientConfig config_;
  std::string config_file_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::vector<std::string> stamps_;  // of the files context_ was built from, or last refused
  std::uint64_t generation_ = 0;
  core::LogThrottle log_;
};

}  // namespace logpulse::tls
