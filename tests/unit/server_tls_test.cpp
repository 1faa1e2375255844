#include <doctest/doctest.h>

#include "config/config_loader.h"
#include "http/server_tls.h"

using logpulse::config::ConfigError;
using logpulse::config::TlsServerConfig;
using logpulse::http::ServerTls;

namespace {
TlsServerConfig tls(std::string cert, std::string key) {
  TlsServerConfig c;
  c.cert_file = std::move(cert);
  c.key_file = std::move(key);
  c.line = 4;
  c.column = 3;
  return c;
}
}  // namespace

TEST_CASE("server tls: a certificate that cannot be read is a configuration error naming it") {
  CHECK_THROWS_WITH_AS(ServerTls::build(tls("/nonexistent/server.crt", "/nonexistent/server.key"), "c.yaml"),
                       doctest::Contains("c.yaml:4:3: web.tls_server_config: cert_file /nonexistent/server.crt: "
                                         "cannot use it as a PEM certificate ("),
                       ConfigError);
}

TEST_CASE("server tls: cipher suites are taken by their IANA names, an unknown one is an error") {
  auto c = tls("/nonexistent/server.crt", "/nonexistent/server.key");
  c.cipher_suites = {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", "TLS_RSA_WITH_RC5"};
  c.cipher_suites_line = 9;
  c.cipher_suites_column = 20;
  CHECK_THROWS_WITH_AS(ServerTls::build(c, "c.yaml"),
                       "c.yaml:9:20: cipher_suites: unknown cipher suite 'TLS_RSA_WITH_RC5' (expected an IANA name "
                       "such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)",
                       ConfigError);
  // Known names pass the suites and fail later, on the missing certificate.
  c.cipher_suites.pop_back();
  CHECK_THROWS_WITH_AS(ServerTls::build(c, "c.yaml"), doctest::Contains("cert_file /nonexistent/server.crt"),
                       ConfigError);
}
