// What the server and client TLS contexts share about OpenSSL: the protocol version a
// configured min_version stands for, and OpenSSL's errors as text for configuration errors
// and log lines. Plain functions; last_openssl_error() reads (and clears) the calling
// thread's OpenSSL error queue.
#pragma once

#include <boost/system/error_code.hpp>
#include <string>

#include "config/config.h"

namespace logpulse::tls {

// TLS1_VERSION ... TLS1_3_VERSION, for SSL_CTX_set_min_proto_version.
int protocol_version(config::TlsVersion version);
// An asio::ssl error's message, never empty.
std::string openssl_reason(const boost::system::error_code& error);
// The oldest error on this thread's OpenSSL queue as text; the queue is cleared.
std::string last_openssl_error();

}  // namespace logpulse::tls
