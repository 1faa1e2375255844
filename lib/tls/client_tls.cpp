#include "tls/client_tls.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include "config/config_loader.h"
#include "tls/file_stamp.h"
#include "tls/openssl_text.h"

namespace logpulse::tls {

namespace asio = boost::asio;

namespace {

std::string place_of(const std::string& config_file, int line, int column) {
  return config_file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

bool is_ip_address(std::string_view host) {
  boost::system::error_code error;
  asio::ip::make_address(std::string(host), error);
  return !error;
}

}  // namespace

ClientTls::ClientTls(config::TlsClientConfig config, std::string config_file)
    : config_(std::move(config)), config_file_(std::move(config_file)) {
  stamps_ = stamps();
  context_ = build(config_, config_file_);
}

std::shared_ptr<asio::ssl::context> ClientTls::build(const config::TlsClientConfig& config,
                                                      const std::string& config_file) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(native, protocol_version(config.min_version));
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  // As for the server (http/server_tls.cpp): OpenSSL 3 refuses TLS 1.0 and 1.1 above
  // security level 0, whatever the minimum says.
  if (config.min_version < config::TlsVersion::kTls12) SSL_CTX_set_security_level(native, 0);

  boost::system::error_code error;
  if (!config.ca_file.empty()) {
    context->load_verify_file(config.ca_file, error);
    if (error)
      throw config::ConfigError(place_of(config_file, config.ca_file_line, config.ca_file_column) +
                                "tls_config.ca_file " + config.ca_file + ": cannot use it as PEM CA certificates (" +
                                openssl_reason(error) + ")");
  } else {
    // Where a missing or empty system store shows is the handshake: "unable to get local
    // issuer certificate".
    context->set_default_verify_paths(error);
    ERR_clear_error();
  }
  if (!config.cert_file.empty()) {
    const std::string cert_place = place_of(config_file, config.cert_file_line, config.cert_file_column);
    const std::string key_place = place_of(config_file, config.key_file_line, config.key_file_column);
    context->use_certificate_chain_file(config.cert_file, error);
    if (error)
      throw config::ConfigError(cert_place + "tls_config.cert_file " + config.cert_file +
                                ": cannot use it as a PEM certificate (" + openssl_reason(error) + ")");
    context->use_private_key_file(config.key_file, asio::ssl::context::pem, error);
    // OpenSSL compares the key with the certificate as it loads it.
    const bool mismatch = error && error.category() == asio::error::get_ssl_category() &&
                          ERR_GET_REASON(static_cast<unsigned long>(error.value())) == X509_R_KEY_VALUES_MISMATCH;
    if (error && !mismatch)
      throw config::ConfigError(key_place + "tls_config.key_file " + config.key_file +
                                ": cannot use it as a PEM private key (" + openssl_reason(error) + ")");
    if (mismatch || SSL_CTX_check_private_key(native) != 1)
      throw config::ConfigError(key_place + "tls_config.key_file " + config.key_file + " does not match cert_file " +
                                config.cert_file + " (" + (mismatch ? openssl_reason(error) : last_openssl_error()) +
                                ")");
  }
  SSL_CTX_set_verify(native, config.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  return context;
}

std::vector<std::string> ClientTls::stamps() const {
  return file_stamps({config_.ca_file, config_.cert_file, config_.key_file});
}

ClientTls::Current ClientTls::current() {
  Current out;
  auto now_stamps = stamps();
  // A refused change is remembered too: it is tried again only when the files change again.
  if (now_stamps != stamps_) {
    stamps_ = std::move(now_stamps);
    try {
      context_ = build(config_, config_file_);
      ++generation_;
      spdlog::info("TLS client files reloaded ({})", config_.cert_file.empty() ? config_.ca_file : config_.cert_file);
    } catch (const config::ConfigError& e) {
      out.refused = e.what();
      if (log_.allow("refused"))
        spdlog::error("TLS client files changed but cannot be used, the previous ones stay in use: {} (logged at most "
                      "once a minute)",
                      e.what());
    }
  }
  out.context = context_;
  return out;
}

bool ClientTls::prepare(SSL* ssl, std::string_view url_host) const {
  const std::string name(config_.server_name.empty() ? url_host : std::string_view(config_.server_name));
  const bool ip = is_ip_address(name);
  // RFC 6066: SNI carries host names only.
  if (!ip && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return false;
  if (config_.insecure_skip_verify) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (ip) return X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(ssl, name.c_str()) == 1;
}

}  // namespace logpulse::tls
