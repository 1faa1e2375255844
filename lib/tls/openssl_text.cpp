#include "tls/openssl_text.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace logpulse::tls {

int protocol_version(config::TlsVersion version) {
  switch (version) {
    case config::TlsVersion::kTls10: return TLS1_VERSION;
    case config::TlsVersion::kTls11: return TLS1_1_VERSION;
    case config::TlsVersion::kTls12: return TLS1_2_VERSION;
    case config::TlsVersion::kTls13: return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

std::string openssl_reason(const boost::system::error_code& error) {
  std::string reason = error.message();
  return reason.empty() ? "unknown OpenSSL error" : reason;
}

std::string last_openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace logpulse::tls
