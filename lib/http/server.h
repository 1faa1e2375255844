// HttpServer: a small HTTP/1.1 server on Boost.Beast, one coroutine per connection.
// Limits are named constants: request headers over kMaxHeaderBytes get 431, a client that
// does not send a full request within kRequestTimeout or stays idle kIdleTimeout is
// dropped, connections beyond kMaxConnections get 503 and are closed. Only these clients
// are affected. The handler runs on the server's io_context thread and must be thread safe
// with respect to the rest of the daemon. Construction throws on a bind failure.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "config/config.h"

namespace logpulse::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Handler = std::function<Response(const Request&)>;

inline constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
inline constexpr std::chrono::seconds kRequestTimeout{10};
inline constexpr std::chrono::seconds kIdleTimeout{30};
inline constexpr std::chrono::seconds kWriteTimeout{30};
inline constexpr std::size_t kMaxConnections = 256;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const std::vector<config::ListenAddress>& listen, Handler handler);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;
  std::size_t open_connections() const { return *connections_; }

 private:
  boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor);
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  Handler handler_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::shared_ptr<std::size_t> connections_ = std::make_shared<std::size_t>(0);
};

}  // namespace logpulse::http
