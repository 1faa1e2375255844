#include "http/server.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/write.hpp>

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
    spdlog::info("listening on http://{}",
                 address.host.find(':') != std::string::npos
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

namespace {
// Errors after which accept() succeeds again once a descriptor (or kernel memory) is freed.
bool out_of_resources(const boost::system::error_code& error) {
  return error == asio::error::no_descriptors || error == asio::error::no_buffer_space ||
         error == asio::error::no_memory || error.value() == ENFILE;
}

// Whether a connection waits to be accepted. accept() reports EMFILE even when none does
// (it takes the descriptor first), and closing a connection for nothing would be a loss.
bool connection_pending(tcp::acceptor& acceptor) {
  pollfd listening{acceptor.native_handle(), POLLIN, 0};
  return ::poll(&listening, 1, 0) == 1 && (listening.revents & POLLIN) != 0;
}

asio::ip::address canonical(asio::ip::address address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());  // a dual-stack socket
  return address;
}

// Whether Beast will frame the body as the request says: a Transfer-Encoding other than
// a single "chunked" is one this server does not understand (RFC 9112 6.1: 501).
bool understood_transfer_encoding(const Request& request) {
  auto field = request.find(beast::http::field::transfer_encoding);
  if (field == request.end()) return true;
  std::size_t codings = 0;
  for (auto coding : beast::http::token_list{field->value()}) {
    if (!beast::iequals(coding, "chunked")) return false;
    ++codings;
  }
  return codings == 1;
}
}  // namespace

asio::awaitable<void> HttpServer::accept_loop(tcp::acceptor& acceptor) {
  asio::steady_timer pause(io_);
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error) {
      if (error == asio::error::operation_aborted) co_return;
      ++accept_errors_;
      if (accept_log_.allow(error.message())) spdlog::warn("http accept failed: {}", error.message());
      // Out of descriptors with a client waiting: free one the way a full table does.
      // Otherwise, or if no connection may go yet, wait instead of spinning.
      auto retry_at = ConnectionTable::Clock::now() + kAcceptRetryDelay;
      if (out_of_resources(error) && connection_pending(acceptor)) {
        auto room = table_->evict_one(ConnectionTable::Clock::now());
        if (room.made) continue;
        retry_at = std::min(retry_at, room.retry_at);
      }
      pause.expires_at(retry_at);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    beast::error_code peer_error;
    auto peer = socket.remote_endpoint(peer_error);
    if (peer_error) continue;  // already gone; the socket closes here
    auto address = canonical(peer.address());
    // A full table whose connections are all still in their grace period: this newcomer
    // waits for one to become evictable, and the ones after it wait in the listen queue.
    for (;;) {
      const auto now = ConnectionTable::Clock::now();
      auto room = table_->make_room(address, now);
      if (room.made) break;
      pause.expires_at(std::min(room.retry_at, now + kAcceptRetryDelay));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    asio::co_spawn(io_, serve(std::move(socket), address), asio::detached);
  }
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket, asio::ip::address peer) {
  using Phase = ConnectionTable::Phase;
  using Clock = ConnectionTable::Clock;
  auto table = table_;
  beast::tcp_stream stream(std::move(socket));
  const auto id = table->add(peer, Clock::now(), [&stream] {
    beast::error_code ignored;
    stream.socket().close(ignored);
  });
  struct Unregister {
    std::shared_ptr<ConnectionTable> table;
    ConnectionTable::Id id;
    ~Unregister() { table->remove(id); }
  } unregister{table, id};

  beast::flat_buffer buffer(kMaxHeaderBytes + kMaxBodyBytes);
  bool first = true;
  for (;;) {
    // Idle until the first byte of the next request (unless a pipelined one is buffered).
    // The first request's header deadline runs from the accept.
    stream.expires_after(first ? kHeaderTimeout : kIdleTimeout);
    if (buffer.size() == 0) {
      auto [error, bytes] =
          co_await stream.async_read_some(buffer.prepare(kMaxHeaderBytes), asio::as_tuple(asio::use_awaitable));
      if (error) break;  // closed, reset, idle timeout or evicted
      buffer.commit(bytes);
    }
    if (!first) {
      table->set_phase(id, Phase::reading, Clock::now());
      stream.expires_after(kHeaderTimeout);
    }

    beast::http::request_parser<beast::http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    auto [header_error, header_bytes] =
        co_await beast::http::async_read_header(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (header_error == beast::http::error::end_of_stream || header_error == asio::error::connection_reset ||
        header_error == beast::error::timeout || header_error == asio::error::operation_aborted ||
        header_error == asio::error::bad_descriptor) {
      break;
    }

    Response response;
    bool keep_alive = false;
    if (header_error == beast::http::error::header_limit) {
      response = plain(beast::http::status::request_header_fields_too_large, "request headers too large\n");
    } else if (header_error) {
      response = plain(beast::http::status::bad_request, "bad request\n");
    } else if (!understood_transfer_encoding(parser.get())) {
      response = plain(beast::http::status::not_implemented, "transfer coding not implemented\n");
    } else {
      beast::error_code body_error;
      if (!parser.is_done()) {
        // The body gets its own deadline, and a client that stops short of its
        // Content-Length hears why (400) instead of a silent close.
        using namespace asio::experimental::awaitable_operators;
        stream.expires_never();
        asio::steady_timer deadline(stream.get_executor(), kBodyTimeout);
        auto outcome = co_await (beast::http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable)) ||
                                 deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
        if (outcome.index() == 1) {
          body_error = beast::error::timeout;
        } else {
          body_error = std::get<0>(std::get<0>(outcome));
          if (body_error == asio::error::connection_reset || body_error == asio::error::operation_aborted ||
              body_error == asio::error::bad_descriptor)
            break;
        }
      }
      if (body_error == beast::error::timeout || body_error == beast::http::error::partial_message) {
        response = plain(beast::http::status::bad_request, "request body shorter than its Content-Length\n");
      } else if (body_error == beast::http::error::body_limit) {
        response = plain(beast::http::status::payload_too_large, "request body too large\n");
      } else if (body_error) {
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
    }
    response.keep_alive(keep_alive);
    table->set_phase(id, Phase::writing, Clock::now());
    stream.expires_after(kWriteTimeout);
    auto [write_error, written] =
        co_await beast::http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
    if (write_error || !keep_alive) break;
    table->set_phase(id, Phase::idle, Clock::now());
    first = false;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace logpulse::http
