#include <doctest/doctest.h>

#include "config/config_loader.h"

using namespace logpulse::config;

namespace {
const char* kSources = "sources: [{name: a, paths: [/tmp/a.log]}]\n";

std::string error_of(const std::string& web) {
  try {
    load_string(std::string(kSources) + web, "/etc/logpulse/test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

const char* kHash = "$2y$10$Eavtf66Z.7IBC6u4T9wfUeqG43dqDviK.0AqpIoFvoijuFnoDhz6i";
}  // namespace

TEST_CASE("web: the exporter-toolkit shape loads into typed values") {
  Config c = load_string(std::string(kSources) + R"(web:
  tls_server_config:
    cert_file: tls/server.crt
    key_file: /abs/server.key
    client_ca_file: ca.crt
    client_auth_type: RequireAndVerifyClientCert
    min_version: TLS13
    cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
  basic_auth_users:
    prometheus: ')" + kHash + R"('
  http_server_config:
    headers: {X-Frame-Options: deny, Strict-Transport-Security: max-age=31536000}
  health_without_auth: true
)",
                         "/etc/logpulse/test.yaml");
  CHECK(c.web.tls);
  CHECK(c.web.tls_server.cert_file == "/etc/logpulse/tls/server.crt");  // relative to the file
  CHECK(c.web.tls_server.key_file == "/abs/server.key");
  CHECK(c.web.tls_server.client_ca_file == "/etc/logpulse/ca.crt");
  CHECK(c.web.tls_server.client_auth == ClientAuth::kRequireAndVerifyClientCert);
  CHECK(c.web.tls_server.min_version == TlsVersion::kTls13);
  CHECK(c.web.tls_server.cipher_suites == std::vector<std::string>{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
  REQUIRE(c.web.basic_auth_users.size() == 1);
  CHECK(c.web.basic_auth_users[0].name == "prometheus");
  CHECK(c.web.basic_auth_users[0].hash == kHash);
  REQUIRE(c.web.headers.size() == 2);
  CHECK(c.web.headers[0] == std::pair<std::string, std::string>{"X-Frame-Options", "deny"});
  CHECK(c.web.health_without_auth);
}

TEST_CASE("web: defaults are plain HTTP, no credentials, TLS 1.2 minimum, health behind auth") {
  Config c = load_string(std::string(kSources), "t.yaml");
  CHECK_FALSE(c.web.tls);
  CHECK(c.web.basic_auth_users.empty());
  CHECK_FALSE(c.web.health_without_auth);
  Config t = load_string(std::string(kSources) + "web: {tls_server_config: {cert_file: c, key_file: k}}\n", "t.yaml");
  CHECK(t.web.tls_server.min_version == TlsVersion::kTls12);
  CHECK(t.web.tls_server.client_auth == ClientAuth::kNoClientCert);
}

TEST_CASE("web: every client_auth_type and min_version name of exporter-toolkit") {
  const std::pair<const char*, ClientAuth> types[] = {
      {"NoClientCert", ClientAuth::kNoClientCert},
      {"RequestClientCert", ClientAuth::kRequestClientCert},
      {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
      {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
  };
  for (const auto& [name, type] : types) {
    // As in exporter-toolkit, a client CA without a client auth policy is refused.
    const std::string ca = type == ClientAuth::kNoClientCert ? "" : "client_ca_file: ca, ";
    Config c = load_string(std::string(kSources) + "web: {tls_server_config: {cert_file: c, key_file: k, " + ca +
                               "client_auth_type: " + name + "}}\n",
                           "t.yaml");
    CHECK(c.web.tls_server.client_auth == type);
  }
  const std::pair<const char*, TlsVersion> versions[] = {
      {"TLS10", TlsVersion::kTls10}, {"TLS11", TlsVersion::kTls11},
      {"TLS12", TlsVersion::kTls12}, {"TLS13", TlsVersion::kTls13}};
  for (const auto& [name, version] : versions) {
    Config c = load_string(std::string(kSources) + "web: {tls_server_config: {cert_file: c, key_file: k, min_version: " +
                               name + "}}\n",
                           "t.yaml");
    CHECK(c.web.tls_server.min_version == version);
    Config m = load_string(std::string(kSources) + "web: {tls_server_config: {cert_file: c, key_file: k, min_version: "
                               "TLS10, max_version: " + name + "}}\n",
                           "t.yaml");
    CHECK(m.web.tls_server.max_version == version);
  }
  Config d = load_string(std::string(kSources) + "web: {tls_server_config: {cert_file: c, key_file: k}}\n", "t.yaml");
  CHECK(d.web.tls_server.max_version == TlsVersion::kTls13);
}

TEST_CASE("web: mistakes are errors naming FILE:LINE:COLUMN") {
  CHECK(error_of("web:\n  tls_server_config: {cert_file: c, key_file: k}\n  bogus: 1\n") ==
        "/etc/logpulse/test.yaml:4:3: unknown key 'bogus' in web (expected one of: basic_auth_users, "
        "health_without_auth, http_server_config, tls_server_config)");
  CHECK(error_of("web:\n  tls_server_config:\n    cert_file: c\n    key_file: k\n    certfile: x\n") ==
        "/etc/logpulse/test.yaml:6:5: unknown key 'certfile' in web.tls_server_config (expected one of: "
        "cert_file, cipher_suites, client_auth_type, client_ca_file, key_file, max_version, min_version)");
  CHECK(error_of("web:\n  tls_server_config: {cert_file: c, key_file: k, max_version: TLS11}\n") ==
        "/etc/logpulse/test.yaml:3:63: max_version TLS11 is below min_version TLS12");
  CHECK(error_of("web:\n  tls_server_config: {cert_file: c, key_file: k, max_version: TLS14}\n") ==
        "/etc/logpulse/test.yaml:3:63: max_version: expected TLS10, TLS11, TLS12 or TLS13, got 'TLS14'");
  CHECK(error_of("web:\n  tls_server_config: {key_file: k}\n") ==
        "/etc/logpulse/test.yaml:3:22: web.tls_server_config: 'cert_file' is required");
  CHECK(error_of("web:\n  tls_server_config: {cert_file: c, key_file: k, min_version: TLS1.2}\n") ==
        "/etc/logpulse/test.yaml:3:63: min_version: expected TLS10, TLS11, TLS12 or TLS13, got 'TLS1.2'");
  CHECK(error_of("web:\n  tls_server_config: {cert_file: c, key_file: k, client_auth_type: Verify}\n") ==
        "/etc/logpulse/test.yaml:3:68: client_auth_type: expected NoClientCert, RequestClientCert, "
        "RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert, got 'Verify'");
  CHECK(error_of("web:\n  tls_server_config: {cert_file: c, key_file: k, client_auth_type: RequireAndVerifyClientCert}\n") ==
        "/etc/logpulse/test.yaml:3:68: client_auth_type: this type verifies client certificates, "
        "'client_ca_file' is required");
  CHECK(error_of("web:\n  tls_server_config: {cert_file: c, key_file: k, client_ca_file: ca}\n") ==
        "/etc/logpulse/test.yaml:3:22: web.tls_server_config: 'client_ca_file' is set but client_auth_type is "
        "NoClientCert (expected VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  CHECK(error_of("web:\n  basic_auth_users:\n    bob: secret\n") ==
        "/etc/logpulse/test.yaml:4:10: basic_auth_users.bob: expected a bcrypt hash ($2y$10$ and 53 characters; "
        "make one with htpasswd -nBC 10 bob)");
  CHECK(error_of("web:\n  http_server_config: {headers: {Content-Type: x}}\n") ==
        "/etc/logpulse/test.yaml:3:34: headers: 'Content-Type' is set by logpulse itself");
  CHECK(error_of("web:\n  http_server_config: {http2: true}\n") ==
        "/etc/logpulse/test.yaml:3:24: unknown key 'http2' in web.http_server_config (expected one of: headers)");
  CHECK(error_of("web:\n  health_without_auth: yes\n") ==
        "/etc/logpulse/test.yaml:3:24: health_without_auth: expected true or false, got 'yes'");
}
