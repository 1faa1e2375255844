// HttpServer: a small HTTP/1.1 server on Boost.Beast, one coroutine per connection.
// Limits are named constants: request headers over kMaxHeaderBytes get 431; a request must
// complete its headers within kHeaderTimeout of its first byte (of the accept, for a
// connection's first request) and its body within kBodyTimeout more, or it is dropped
// (headers) or answered 400 (body); a connection idle kIdleTimeout between requests is
// closed. At most kMaxConnections are open, at most kMaxConnectionsPerAddress from one
// address: a newcomer over either bound takes the slot of the longest-idle or slowest one
// (ConnectionTable has the policy and its grace period); no newcomer is refused, at worst
// it waits in the listen queue for a slot. Running out of file descriptors evicts the same
// way when a client waits, or retries after kAcceptRetryDelay; the accept loop never spins.
// With web security (web: in the configuration): TLS connections go through the same loop
// after a handshake that must finish within the first request's header deadline (and may be
// evicted like a slow request); Basic credentials are checked before the handler, bcrypt on
// a worker thread, a failure answered 401; configured headers are added to every response.
// The handler runs on the server's io_context thread and must be thread safe with respect
// to the rest of the daemon. Construction throws on a bind failure.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "config/config.h"
#include "core/log_throttle.h"
#include "http/basic_auth.h"
#include "http/connection_table.h"
#include "http/server_tls.h"

namespace logpulse::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Handler = std::function<Response(const Request&)>;

inline constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
inline constexpr std::chrono::seconds kHeaderTimeout{5};
inline constexpr std::chrono::seconds kBodyTimeout{5};
inline constexpr std::chrono::seconds kIdleTimeout{30};
inline constexpr std::chrono::seconds kWriteTimeout{30};
// After a failed TLS handshake: how long the client's remaining bytes are read and dropped
// so that the close does not reset the connection under the alert.
inline constexpr std::chrono::seconds kLingerTimeout{1};
inline constexpr std::size_t kMaxConnections = 256;
inline constexpr std::size_t kMaxConnectionsPerAddress = 128;
inline constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

// What web: asks of the server; the default is plain HTTP, no credentials.
struct WebSecurity {
  std::unique_ptr<ServerTls> tls;    // null: plain HTTP
  std::shared_ptr<BasicAuth> auth;   // null: no credentials asked (shared with bcrypt jobs)
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
  bool health_without_auth = false;  // /-/healthy answers without credentials
};

// Builds it from the configuration; throws config::ConfigError for a certificate or key
// that cannot be used.
WebSecurity make_web_security(const config::Config& config);

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const std::vector<config::ListenAddress>& listen, Handler handler,
             WebSecurity security = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;
  std::size_t open_connections() const { return table_->size(); }
  std::uint64_t evictions() const { return table_->evictions(); }
  std::uint64_t accept_errors() const { return accept_errors_; }
  // SIGHUP: re-read the certificate and key now (on the server's thread). False when refused.
  bool reload_tls() { return security_.tls == nullptr || security_.tls->reload(); }

 private:
  boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor);
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, boost::asio::ip::address peer);
  // The request loop, the same for a plain and a TLS stream; `tcp` is the stream's lowest
  // layer, which carries the deadlines.
  template <typename Stream>
  boost::asio::awaitable<void> session(Stream& stream, boost::beast::tcp_stream& tcp, ConnectionTable& table,
                                       ConnectionTable::Id id);
  bool needs_credentials(const Request& request) const;
  boost::asio::awaitable<bool> authorized(const Request& request);

  boost::asio::io_context& io_;
  Handler handler_;
  WebSecurity security_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  // Shared with the connection coroutines, whose frames may outlive the server when the
  // io_context is destroyed after it.
  std::shared_ptr<ConnectionTable> table_ =
      std::make_shared<ConnectionTable>(kMaxConnections, kMaxConnectionsPerAddress);
  std::uint64_t accept_errors_ = 0;
  core::LogThrottle accept_log_{std::chrono::seconds(10)};
  core::LogThrottle handshake_log_{std::chrono::seconds(10)};
  // bcrypt runs here, off the connection's thread. Last: joined before the rest goes.
  boost::asio::thread_pool bcrypt_pool_{1};
};

}  // namespace logpulse::http
