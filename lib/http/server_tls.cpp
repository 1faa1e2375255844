#include "http/server_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "config/config_loader.h"
#include "tls/file_stamp.h"
#include "tls/openssl_text.h"

namespace logpulse::http {

namespace asio = boost::asio;
using tls::last_openssl_error;
using tls::openssl_reason;

namespace {

// exporter-toolkit names suites as Go does, by their IANA names; OpenSSL knows them by its
// own. TLS 1.3 suites are not configurable in Go and are accepted and left alone here too.
std::string openssl_cipher_list(SSL_CTX* context, const config::TlsServerConfig& config, const std::string& place) {
  std::unique_ptr<SSL, decltype(&SSL_free)> probe(SSL_new(context), &SSL_free);
  // Every suite this OpenSSL has, not only the default list.
  SSL_set_cipher_list(probe.get(), "ALL:@SECLEVEL=0");
  STACK_OF(SSL_CIPHER)* available = SSL_get_ciphers(probe.get());
  std::string list;
  for (const auto& name : config.cipher_suites) {
    if (name.rfind("TLS_AES_", 0) == 0 || name.rfind("TLS_CHACHA20_", 0) == 0) continue;  // TLS 1.3
    const SSL_CIPHER* found = nullptr;
    for (int i = 0; available != nullptr && i < sk_SSL_CIPHER_num(available); ++i) {
      const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(available, i);
      const char* standard = SSL_CIPHER_standard_name(cipher);
      if (standard != nullptr && name == standard) found = cipher;
    }
    if (found == nullptr)
      throw config::ConfigError(place + "cipher_suites: unknown cipher suite '" + name +
                                "' (expected an IANA name such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
    list += (list.empty() ? "" : ":") + std::string(SSL_CIPHER_get_name(found));
  }
  return list;
}

int accept_any_certificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

ServerTls::ServerTls(config::TlsServerConfig config, std::string config_file)
    : config_(std::move(config)), config_file_(std::move(config_file)) {
  stamps_ = stamps();
  context_ = build(config_, config_file_);
}

std::shared_ptr<asio::ssl::context> ServerTls::build(const config::TlsServerConfig& config,
                                                      const std::string& config_file) {
  const std::string place =
      config_file + ":" + std::to_string(config.line) + ":" + std::to_string(config.column) + ": ";
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(native, tls::protocol_version(config.min_version));
  SSL_CTX_set_max_proto_version(native, tls::protocol_version(config.max_version));
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!config.cipher_suites.empty()) {
    const std::string cipher_place = config_file + ":" + std::to_string(config.cipher_suites_line) + ":" +
                                     std::to_string(config.cipher_suites_column) + ": ";
    const std::string list = openssl_cipher_list(native, config, cipher_place);
    if (!list.empty() && SSL_CTX_set_cipher_list(native, list.c_str()) != 1)
      throw config::ConfigError(cipher_place + "cipher_suites: OpenSSL refuses them (" + last_openssl_error() + ")");
  }
  // OpenSSL 3 refuses TLS 1.0 and 1.1 at security level 1 and above (its default), whatever
  // the minimum says; a configuration that asks for them gets level 0. Set after the cipher
  // list, which could carry a level of its own.
  if (config.min_version < config::TlsVersion::kTls12) SSL_CTX_set_security_level(native, 0);

  boost::system::error_code error;
  context->use_certificate_chain_file(config.cert_file, error);
  if (error)
    throw config::ConfigError(place + "web.tls_server_config: cert_file " + config.cert_file +
                              ": cannot use it as a PEM certificate (" + openssl_reason(error) + ")");
  context->use_private_key_file(config.key_file, asio::ssl::context::pem, error);
  if (error)
    throw config::ConfigError(place + "web.tls_server_config: key_file " + config.key_file +
                              ": cannot use it as a PEM private key (" + openssl_reason(error) + ")");
  if (SSL_CTX_check_private_key(native) != 1)
    throw config::ConfigError(place + "web.tls_server_config: key_file " + config.key_file +
                              " does not match cert_file " + config.cert_file + " (" + last_openssl_error() + ")");

  if (!config.client_ca_file.empty()) {
    context->load_verify_file(config.client_ca_file, error);
    STACK_OF(X509_NAME)* names = error ? nullptr : SSL_load_client_CA_file(config.client_ca_file.c_str());
    if (error || names == nullptr)
      throw config::ConfigError(place + "web.tls_server_config: client_ca_file " + config.client_ca_file +
                                ": cannot use it as PEM CA certificates (" +
                                (error ? openssl_reason(error) : last_openssl_error()) + ")");
    SSL_CTX_set_client_CA_list(native, names);
  }
  using config::ClientAuth;
  switch (config.client_auth) {
    case ClientAuth::kNoClientCert: SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr); break;
    case ClientAuth::kRequestClientCert: SSL_CTX_set_verify(native, SSL_VERIFY_PEER, accept_any_certificate); break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
      break;
    case ClientAuth::kVerifyClientCertIfGiven: SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr); break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // Session resumption needs a context id when client certificates are asked for.
  static constexpr unsigned char kSessionContext[] = "logpulse";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  return context;
}

std::vector<std::string> ServerTls::stamps() const {
  return tls::file_stamps({config_.cert_file, config_.key_file, config_.client_ca_file});
}

std::shared_ptr<asio::ssl::context> ServerTls::current(Clock::time_point now) {
  if (now >= next_check_) {
    next_check_ = now + kCertificateCheckInterval;
    auto now_stamps = stamps();
    // A refused change is remembered too: it is tried again only when the files change again.
    if (now_stamps != stamps_) rebuild(std::move(now_stamps));
  }
  return context_;
}

bool ServerTls::reload() { return rebuild(stamps()); }

bool ServerTls::rebuild(std::vector<std::string> new_stamps) {
  stamps_ = std::move(new_stamps);
  try {
    context_ = build(config_, config_file_);
  } catch (const config::ConfigError& e) {
    spdlog::error("TLS certificate reload refused, the previous certificate stays in use: {}", e.what());
    return false;
  }
  ++reloads_;
  spdlog::info("TLS certificate reloaded from {}", config_.cert_file);
  return true;
}

}  // namespace logpulse::http
