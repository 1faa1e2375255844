#include "http/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

namespace logpulse::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {
Response plain(beast::http::status status, std::string body, unsigned version = 11) {
  Response response{status, version};
  response.set(beast::http::field::content_type, "text/plain; charset=utf-8");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}
}  // namespace

HttpServer::HttpServer(asio::io_context& io, const std::vector<config::ListenAddress>& listen, Handler handler)
    : io_(io), handler_(std::move(handler)) {
  for (const auto& address : listen) {
    tcp::endpoint endpoint(asio::ip::make_address(address.host), address.port);
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    if (endpoint.address().is_v6()) acceptor->set_option(asio::ip::v6_only(true));
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    spdlog::info("listening on http://{}", address.host.find(':') != std::string::npos
                                               ? "[" + address.host + "]:" + std::to_string(acceptor->local_endpoint().port())
                                               : address.host + ":" + std::to_string(acceptor->local_endpoint().port()));
    acceptors_.push_back(std::move(acceptor));
  }
  for (auto& acceptor : acceptors_) asio::co_spawn(io_, accept_loop(*acceptor), asio::detached);
}

std::vector<tcp::endpoint> HttpServer::local_endpoints() const {
  std::vector<tcp::endpoint> out;
  for (const auto& acceptor : acceptors_) out.push_back(acceptor->local_endpoint());
  return out;
}

asio::awaitable<void> HttpServer::accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error) {
      if (error == asio::error::operation_aborted) co_return;
      spdlog::warn("http accept failed: {}", error.message());
      // Out of descriptors, say: back off briefly instead of spinning.
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (*connections_ >= kMaxConnections) {
      beast::error_code ignored;
      Response busy = plain(beast::http::status::service_unavailable, "too many connections\n");
      busy.keep_alive(false);
      beast::http::write(socket, busy, ignored);
      socket.close(ignored);
      continue;
    }
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket) {
  auto connections = connections_;
  ++*connections;
  struct Release {
    std::shared_ptr<std::size_t> count;
    ~Release() { --*count; }
  } release{connections};

  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(kMaxHeaderBytes + kMaxBodyBytes);
  bool first = true;
  for (;;) {
    beast::http::request_parser<beast::http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    stream.expires_after(first ? kRequestTimeout : kIdleTimeout);
    first = false;
    auto [read_error, bytes] =
        co_await beast::http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (read_error == beast::http::error::end_of_stream || read_error == asio::error::connection_reset ||
        read_error == beast::error::timeout) {
      break;
    }
    Response response;
    bool keep_alive = false;
    if (read_error == beast::http::error::header_limit) {
      response = plain(beast::http::status::request_header_fields_too_large, "request headers too large\n");
    } else if (read_error == beast::http::error::body_limit) {
      response = plain(beast::http::status::payload_too_large, "request body too large\n");
    } else if (read_error) {
      response = plain(beast::http::status::bad_request, "bad request\n");
    } else {
      const Request& request = parser.get();
      keep_alive = request.keep_alive();
      try {
        response = handler_(request);
      } catch (const std::exception& e) {
        spdlog::error("http handler failed for {}: {}", std::string(request.target()), e.what());
        response = plain(beast::http::status::internal_server_error, "internal error\n");
      }
      response.version(request.version());
      if (request.method() == beast::http::verb::head) {
        // Same headers as GET, no body.
        auto length = response.body().size();
        response.body().clear();
        response.content_length(length);
      }
    }
    response.keep_alive(keep_alive);
    stream.expires_after(kWriteTimeout);
    auto [write_error, written] =
        co_await beast::http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
    if (write_error || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace logpulse::http
