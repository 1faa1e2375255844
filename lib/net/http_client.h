// HttpClient: an asynchronous HTTP/1.1 client on Boost.Beast for POSTing bodies to URLs
// (Alertmanager deliveries, remote-write pushes). One call is one attempt: retrying is the
// caller's policy.
//
//   net::HttpClient client(io.get_executor());
//   net::RequestOptions options;  options.content_type = "application/json";
//   net::HttpResult result = co_await client.post(url, body, options);
//   if (result.ok()) ...; else if (result.error) ...transport...; else ...result.status...
//
// Never throws out of post(): every failure (resolve, connect, timeout, write, read, a
// response over the limits) is an HttpResult with `error` set. Timeouts, each overridable
// per call: connect (resolve + TCP connect) kDefaultConnectTimeout; exchange (write the
// request, read the whole response) kDefaultExchangeTimeout. Responses: headers up to
// kMaxResponseHeaderBytes, body up to options.body_limit (kMaxResponseBodyBytes).
// Keep-alive: after a complete response that allows it, the connection is kept idle, one
// per host:port (a newer one replaces an older), for at most kMaxIdleTime; the next request
// to that host:port reuses it. A reused connection the server had closed meanwhile (EOF or
// reset before any response byte) is retried once on a new connection: the one case where a
// request may reach a server twice (harmless for Alertmanager and remote write, which
// deduplicate).
// TLS: an https URL is spoken over beast::ssl_stream<beast::tcp_stream>: after the TCP
// connect, a handshake (within the connect timeout) with the context of options.tls
// (tls/client_tls.h: CA, client certificate, server_name, re-read when its files change),
// or, without one, a default context on the system's CA store that the client makes on
// first use. A handshake or verification failure is a transport error like a refused
// connection (`error` set; `detail` says why a certificate was refused); a change of the TLS
// files that cannot be used fails that one attempt with tls_files_refused. Kept-alive TLS
// connections are reused only with the same ClientTls and the context it has now.
// Threads: a client and its requests run on one executor's thread; not thread safe.
// Lifetime: the client must outlive the requests it runs: shutdown() aborts them (they
// complete with an error at once; one still resolving a name, within its connect timeout),
// then let the io_context run until they return. A client is not restarted after shutdown().
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "net/url.h"

namespace logpulse::tls {
class ClientTls;
}

namespace logpulse::net {

inline constexpr std::chrono::milliseconds kDefaultConnectTimeout{5'000};
inline constexpr std::chrono::milliseconds kDefaultExchangeTimeout{10'000};
inline constexpr std::size_t kMaxResponseHeaderBytes = 16 * 1024;
inline constexpr std::size_t kMaxResponseBodyBytes = 1024 * 1024;
inline constexpr std::chrono::seconds kMaxIdleTime{30};

struct BasicAuth {
  std::string username;
  std::string password;
};

struct RequestOptions {
  std::string content_type = "application/json";
  std::string content_encoding;                              // e.g. "snappy"; empty: none
  std::vector<std::pair<std::string, std::string>> headers;  // sent as given, after the above
  std::optional<BasicAuth> basic_auth;
  std::string bearer_token;                                  // "Authorization: Bearer ..."
  std::chrono::milliseconds connect_timeout = kDefaultConnectTimeout;
  std::chrono::milliseconds exchange_timeout = kDefaultExchangeTimeout;
  std::size_t body_limit = kMaxResponseBodyBytes;
  tls::ClientTls* tls = nullptr;  // for https: outlives the request; null: the system's CAs
};

// The attempt failed before connecting: the TLS files changed and cannot be used (the
// previous context stays in use for the next attempts).
const boost::system::error_code& tls_files_refused();

enum class Method { get, post, put };

struct HttpResult {
  unsigned status = 0;                          // 0 when no complete response header was read
  boost::system::error_code error;              // transport failure; beast::error::timeout on a timeout
  std::optional<std::chrono::seconds> retry_after;  // from a Retry-After header, if any
  std::string body;                             // the response body (complete only without error)
  bool reused_connection = false;
  std::string detail;  // more on `error`: why a certificate was refused, which TLS file

  bool ok() const { return !error && status >= 200 && status < 300; }
  // "HTTP 503", "timeout", "Connection refused", "certificate verify failed (hostname
  // mismatch)": for log lines.
  std::string describe() const;
};

class HttpClient {
 public:
  explicit HttpClient(boost::asio::any_io_executor executor, core::Clock& clock = core::system_clock());
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request; `url` and `options` are copied into the coroutine. A GET sends no
  // body and no Content-Type.
  // (Overloads instead of default arguments: g++ 12 destroys a defaulted argument's
  // temporary twice when the call is inside a co_await expression.)
  boost::asio::awaitable<HttpResult> request(Method method, Url url, std::string body, RequestOptions options);
  boost::asio::awaitable<HttpResult> post(Url url, std::string body, RequestOptions options) {
    return request(Method::post, std::move(url), std::move(body), std::move(options));
  }
  boost::asio::awaitable<HttpResult> post(Url url, std::string body) {
    return request(Method::post, std::move(url), std::move(body), RequestOptions{});
  }
  boost::asio::awaitable<HttpResult> get(Url url, RequestOptions options) {
    return request(Method::get, std::move(url), std::string(), std::move(options));
  }
  boost::asio::awaitable<HttpResult> get(Url url) {
    return request(Method::get, std::move(url), std::string(), RequestOptions{});
  }

  // Closes idle connections and aborts requests in flight.
  void shutdown();

  std::uint64_t connections_opened() const { return connections_opened_; }
  std::size_t idle_connections() const { return idle_.size(); }

  struct Connection;

 private:
  boost::asio::awaitable<HttpResult> attempt(Method method, const Url& url, const std::string& body,
                                             const RequestOptions& options, bool allow_reuse);
  boost::asio::awaitable<boost::system::error_code> connect(Connection& connection, const Url& url,
                                                            std::chrono::milliseconds timeout, std::string& detail);
  std::unique_ptr<Connection> take_idle(const std::string& key);
  tls::ClientTls& tls_for(const RequestOptions& options);

  boost::asio::any_io_executor executor_;
  core::Clock& clock_;
  std::unordered_map<std::string, std::unique_ptr<Connection>> idle_;  // by Connection::key
  std::unique_ptr<tls::ClientTls> default_tls_;                        // https without options.tls
  std::unordered_set<Connection*> active_;                             // requests in flight
  std::uint64_t connections_opened_ = 0;
  bool shut_down_ = false;
};

}  // namespace logpulse::net
