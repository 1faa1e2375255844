#include "scripted_http_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>

namespace logpulse::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

asio::awaitable<void> serve(std::shared_ptr<ScriptedHttpServer::State> state, tcp::socket socket, std::size_t id) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    auto [read_error, bytes] = co_await http::async_read(socket, buffer, request, asio::as_tuple(asio::use_awaitable));
    if (read_error || state->closed) co_return;
    ReceivedRequest received{std::string(request.method_string()), std::string(request.target()), request.body(), {},
                             id, std::chrono::steady_clock::now()};
    for (const auto& field : request) received.headers[lower(field.name_string())] = std::string(field.value());
    state->requests.push_back(std::move(received));

    Reply reply = state->fallback;
    if (!state->script.empty()) {
      reply = state->script.front();
      state->script.pop_front();
    }
    if (reply.never_answer) {
      char sink[512];
      for (;;) {
        auto [error, n] = co_await socket.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
        if (error) co_return;
      }
    }
    if (reply.delay.count() > 0) {
      asio::steady_timer timer(socket.get_executor(), reply.delay);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    http::response<http::string_body> response{static_cast<http::status>(reply.status), 11};
    response.set(http::field::content_type, "application/json");
    if (!reply.retry_after.empty()) response.set(http::field::retry_after, reply.retry_after);
    response.body() = reply.body;
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    auto [write_error, written] = co_await http::async_write(socket, response, asio::as_tuple(asio::use_awaitable));
    if (write_error || reply.close_after || !request.keep_alive()) co_return;
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<ScriptedHttpServer::State> state) {
  for (;;) {
    auto [error, socket] = co_await state->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error || state->closed) co_return;
    asio::co_spawn(state->acceptor.get_executor(), serve(state, std::move(socket), ++state->connections),
                   asio::detached);
  }
}
}  // namespace

ScriptedHttpServer::ScriptedHttpServer(asio::io_context& io, std::uint16_t port)
    : state_(std::make_shared<State>(io)) {
  tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(asio::socket_base::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
  state_->port = state_->acceptor.local_endpoint().port();
  asio::co_spawn(io, accept_loop(state_), asio::detached);
}

ScriptedHttpServer::~ScriptedHttpServer() {
  state_->closed = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
}

std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace logpulse::testing
