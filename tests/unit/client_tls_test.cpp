// tls_config of remote_write: the keys and their errors at FILE:LINE:COLUMN, and
// tls::ClientTls building, refusing and re-reading its files (certificates made here with
// OpenSSL's API, in a temporary directory).
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "config/config_loader.h"
#include "config_support.h"
#include "tls/client_tls.h"

using namespace logpulse::config;
using logpulse::tls::ClientTls;

namespace {

using config_test::error_of;
using config_test::kSources;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char pattern[] = "/tmp/logpulse-client-tls-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path + ".new", std::ios::binary);
  out << text;
  out.close();
  std::filesystem::rename(path + ".new", path);  // a new inode: a new stamp whatever the clock says
}

// A self-signed P-256 certificate for CN=name: its PEM at `crt`, its key's at `key`.
void self_signed(const std::string& name, const std::string& crt, const std::string& key) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  REQUIRE(pkey);
  std::unique_ptr<X509, decltype(&X509_free)> x509(X509_new(), &X509_free);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 86400);
  X509_set_pubkey(x509.get(), pkey.get());
  X509_NAME* subject = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(x509.get(), subject);
  REQUIRE(X509_sign(x509.get(), pkey.get(), EVP_sha256()) > 0);
  FILE* f = std::fopen(crt.c_str(), "w");
  PEM_write_X509(f, x509.get());
  std::fclose(f);
  f = std::fopen(key.c_str(), "w");
  PEM_write_PrivateKey(f, pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

TlsClientConfig client_config(const TempDir& dir) {
  TlsClientConfig c;
  c.ca_file = dir.file("ca.crt");
  c.cert_file = dir.file("client.crt");
  c.key_file = dir.file("client.key");
  c.line = 5, c.column = 17;
  c.ca_file_line = 5, c.ca_file_column = 27;
  c.cert_file_line = 6, c.cert_file_column = 18;
  c.key_file_line = 7, c.key_file_column = 17;
  return c;
}

}  // namespace

TEST_CASE("remote_write tls_config: every key loads, paths relative to the configuration file") {
  TempDir dir;
  for (const char* name : {"ca.crt", "c.crt", "c.key"}) write(dir.file(name), "x");
  const Config c = load_string(std::string(kSources) + R"(remote_write:
  - url: https://mimir:9009/api/v1/push
    tls_config:
      ca_file: ca.crt
      cert_file: c.crt
      key_file: c.key
      server_name: mimir.example
      insecure_skip_verify: true
      min_version: TLS13
  - url: https://other:9090/api/v1/write
)", dir.file("logpulse.yaml"));
  REQUIRE(c.remote_write.size() == 2);
  const auto& tls = c.remote_write[0].tls;
  CHECK(tls.ca_file == dir.file("ca.crt"));
  CHECK(tls.cert_file == dir.file("c.crt"));
  CHECK(tls.key_file == dir.file("c.key"));
  CHECK(tls.server_name == "mimir.example");
  CHECK(tls.insecure_skip_verify);
  CHECK(tls.min_version == TlsVersion::kTls13);
  CHECK(tls.line == 6);  // a block mapping starts at its first key
  CHECK(tls.ca_file_line == 6);
  CHECK(tls.ca_file_column == 16);
  // Without tls_config: verification on, the system's CAs, TLS 1.2 at least.
  CHECK(c.remote_write[1].tls == TlsClientConfig{});
}

TEST_CASE("remote_write tls_config: errors name the place of the key") {
  CHECK(error_of("remote_write:\n  - url: ftp://a/\n") ==
        "test.yaml:4:10: remote_write.url: expected an http:// or https:// URL, got 'ftp://a/'");
  CHECK(error_of("remote_write:\n  - url: https://a/\n") == "");
  CHECK(error_of("remote_write:\n  - url: https://a/\n    tls_config: {ca_file: /nonexistent/ca.crt}\n")
            .find("test.yaml:5:27: remote_write.tls_config.ca_file: cannot read '/nonexistent/ca.crt' (") == 0);
  CHECK(error_of("remote_write:\n  - url: https://a/\n    tls_config: {cert_file: /etc/hostname}\n") ==
        "test.yaml:5:29: remote_write.tls_config: 'cert_file' is set without 'key_file' (a client certificate "
        "needs both)");
  CHECK(error_of("remote_write:\n  - url: https://a/\n    tls_config: {key_file: /etc/hostname}\n") ==
        "test.yaml:5:28: remote_write.tls_config: 'key_file' is set without 'cert_file' (a client certificate "
        "needs both)");
  CHECK(error_of("remote_write:\n  - url: https://a/\n    tls_config: {min_version: TLS14}\n") ==
        "test.yaml:5:31: min_version: expected TLS10, TLS11, TLS12 or TLS13, got 'TLS14'");
  CHECK(error_of("remote_write:\n  - url: https://a/\n    tls_config: {insecure_skip_verify: yes}\n") ==
        "test.yaml:5:40: remote_write.tls_config.insecure_skip_verify: expected true or false, got 'yes'");
  CHECK(error_of("remote_write:\n  - url: https://a/\n    tls_config: {server_name: 'a b'}\n") ==
        "test.yaml:5:31: remote_write.tls_config.server_name: expected a host name or an IP address, got 'a b'");
  CHECK(error_of("remote_write:\n  - url: https://a/\n    tls_config: {ca: x}\n").find("test.yaml:5:18: ") == 0);
}

TEST_CASE("client tls: a file OpenSSL cannot use is a configuration error at its key") {
  TempDir dir;
  self_signed("ca", dir.file("ca.crt"), dir.file("ca.key"));
  self_signed("client", dir.file("client.crt"), dir.file("client.key"));
  self_signed("other", dir.file("other.crt"), dir.file("other.key"));
  const auto good = client_config(dir);
  CHECK(ClientTls::build(good, "c.yaml") != nullptr);

  auto bad_ca = good;
  write(dir.file("garbage"), "not a certificate\n");
  bad_ca.ca_file = dir.file("garbage");
  CHECK_THROWS_WITH_AS(ClientTls::build(bad_ca, "c.yaml"),
                       doctest::Contains(("c.yaml:5:27: tls_config.ca_file " + dir.file("garbage") +
                                          ": cannot use it as PEM CA certificates (").c_str()),
                       ConfigError);
  auto bad_cert = good;
  bad_cert.cert_file = dir.file("garbage");
  CHECK_THROWS_WITH_AS(ClientTls::build(bad_cert, "c.yaml"),
                       doctest::Contains(("c.yaml:6:18: tls_config.cert_file " + dir.file("garbage") +
                                          ": cannot use it as a PEM certificate").c_str()),
                       ConfigError);
  auto mismatch = good;
  mismatch.key_file = dir.file("other.key");
  CHECK_THROWS_WITH_AS(ClientTls::build(mismatch, "c.yaml"),
                       doctest::Contains(("c.yaml:7:17: tls_config.key_file " + dir.file("other.key") +
                                          " does not match cert_file " + dir.file("client.crt")).c_str()),
                       ConfigError);
}

TEST_CASE("client tls: changed files are re-read; a bad change is refused once and the old context kept") {
  TempDir dir;
  self_signed("ca", dir.file("ca.crt"), dir.file("ca.key"));
  self_signed("client", dir.file("client.crt"), dir.file("client.key"));
  ClientTls tls(client_config(dir), "c.yaml");
  const auto first = tls.current();
  CHECK(first.refused.empty());
  CHECK(tls.current().context == first.context);  // unchanged files: the same context
  CHECK(tls.generation() == 0);

  write(dir.file("ca.crt"), "-----BEGIN CERTIFICATE-----\nbroken\n");
  const auto refused = tls.current();
  CHECK(refused.refused.find("c.yaml:5:27: tls_config.ca_file ") == 0);
  CHECK(refused.context == first.context);
  const auto after = tls.current();  // the refusal is reported once; the old context serves
  CHECK(after.refused.empty());
  CHECK(after.context == first.context);
  CHECK(tls.generation() == 0);

  self_signed("ca2", dir.file("ca2.crt"), dir.file("ca2.key"));
  std::filesystem::rename(dir.file("ca2.crt"), dir.file("ca.crt"));
  const auto renewed = tls.current();
  CHECK(renewed.refused.empty());
  CHECK(renewed.context != first.context);
  CHECK(tls.generation() == 1);
}

TEST_CASE("client tls: SNI and the checked name are server_name, else the URL's host") {
  TlsClientConfig c;
  ClientTls tls(c, "c.yaml");
  auto context = tls.current().context;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(context->native_handle()), &SSL_free);
  REQUIRE(tls.prepare(ssl.get(), "mimir.example"));
  CHECK(std::string(SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name)) == "mimir.example");
  CHECK(X509_VERIFY_PARAM_get0_host(SSL_get0_param(ssl.get()), 0) == std::string("mimir.example"));

  std::unique_ptr<SSL, decltype(&SSL_free)> ip(SSL_new(context->native_handle()), &SSL_free);
  REQUIRE(tls.prepare(ip.get(), "127.0.0.1"));
  CHECK(SSL_get_servername(ip.get(), TLSEXT_NAMETYPE_host_name) == nullptr);  // no SNI for an address

  c.server_name = "receiver.internal";
  ClientTls named(c, "c.yaml");
  std::unique_ptr<SSL, decltype(&SSL_free)> renamed(SSL_new(context->native_handle()), &SSL_free);
  REQUIRE(named.prepare(renamed.get(), "127.0.0.1"));
  CHECK(std::string(SSL_get_servername(renamed.get(), TLSEXT_NAMETYPE_host_name)) == "receiver.internal");
  CHECK(X509_VERIFY_PARAM_get0_host(SSL_get0_param(renamed.get()), 0) == std::string("receiver.internal"));
}
