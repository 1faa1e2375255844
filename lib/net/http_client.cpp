#include "net/http_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "net/retry_after.h"

namespace logpulse::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

struct HttpClient::Connection {
  explicit Connection(asio::any_io_executor executor) : stream(std::move(executor)) {}
  beast::tcp_stream stream;  // TLS: a variant with beast::ssl_stream<beast::tcp_stream>
  core::Clock::SteadyTime idle_since{};
};

namespace {

using Request = http::request<http::string_body>;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

http::verb verb_of(Method method) {
  switch (method) {
    case Method::get: return http::verb::get;
    case Method::put: return http::verb::put;
    case Method::post: break;
  }
  return http::verb::post;
}

Request make_request(Method method, const Url& url, std::string body, const RequestOptions& options) {
  Request request{verb_of(method), url.target(), 11};
  request.set(http::field::host, url.authority());
  request.set(http::field::user_agent, "logpulse/" LOGPULSE_VERSION);
  if (method != Method::get && !options.content_type.empty()) request.set(http::field::content_type, options.content_type);
  if (!options.content_encoding.empty()) request.set(http::field::content_encoding, options.content_encoding);
  if (options.basic_auth)
    request.set(http::field::authorization,
                "Basic " + base64(options.basic_auth->username + ":" + options.basic_auth->password));
  else if (!options.bearer_token.empty())
    request.set(http::field::authorization, "Bearer " + options.bearer_token);
  for (const auto& [name, value] : options.headers) request.set(name, value);
  request.keep_alive(true);
  if (method != Method::get) {
    request.body() = std::move(body);
    request.prepare_payload();
  }
  return request;
}

// Errors that mean "the server closed this kept-alive connection before we used it".
bool stale_connection(const error_code& error) {
  return error == http::error::end_of_stream || error == asio::error::connection_reset ||
         error == asio::error::broken_pipe || error == asio::error::eof;
}

// One request and its response on any Beast stream (plain TCP today, TLS later). The
// exchange timeout covers both directions. Sets `reusable` when the connection may serve
// another request.
template <class Stream>
asio::awaitable<HttpResult> send_and_receive(Stream& stream, const Request& request, const RequestOptions& options,
                                             core::Clock& clock, bool& reusable) {
  HttpResult result;
  reusable = false;
  beast::get_lowest_layer(stream).expires_after(options.exchange_timeout);
  auto [write_error, written] = co_await http::async_write(stream, request, asio::as_tuple(asio::use_awaitable));
  if (write_error) {
    result.error = write_error;
    co_return result;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxResponseHeaderBytes);
  parser.body_limit(options.body_limit);
  auto [header_error, header_bytes] =
      co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  // A Content-Length over the body limit fails the header read, with the header parsed.
  if (parser.is_header_done()) {
    const auto& header = parser.get();
    result.status = header.result_int();
    if (auto field = header.find(http::field::retry_after); field != header.end())
      result.retry_after = parse_retry_after(field->value(), clock.wall());
  }
  if (header_error) {
    result.error = header_error;
    co_return result;
  }

  auto [body_error, body_bytes] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  if (body_error) {
    result.error = body_error;
    co_return result;
  }
  result.body = std::move(parser.get().body());
  reusable = parser.get().keep_alive() && buffer.size() == 0;
  beast::get_lowest_layer(stream).expires_never();
  co_return result;
}

}  // namespace

std::string HttpResult::describe() const {
  if (error == beast::error::timeout) return "timeout";
  if (error) return error.message();
  return "HTTP " + std::to_string(status);
}

HttpClient::HttpClient(asio::any_io_executor executor, core::Clock& clock)
    : executor_(std::move(executor)), clock_(clock) {}

HttpClient::~HttpClient() = default;

void HttpClient::shutdown() {
  shut_down_ = true;
  idle_.clear();
  for (auto* connection : active_) {
    error_code ignored;
    connection->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    connection->stream.cancel();
    connection->stream.close();
  }
}

std::unique_ptr<HttpClient::Connection> HttpClient::take_idle(const std::string& authority) {
  auto it = idle_.find(authority);
  if (it == idle_.end()) return nullptr;
  auto connection = std::move(it->second);
  idle_.erase(it);
  if (clock_.steady() - connection->idle_since > kMaxIdleTime) return nullptr;
  return connection;
}

asio::awaitable<error_code> HttpClient::connect(Connection& connection, const Url& url,
                                                std::chrono::milliseconds timeout) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<tcp::endpoint> endpoints;
  error_code error;
  const auto address = asio::ip::make_address(url.host(), error);
  if (!error) {
    endpoints.emplace_back(address, url.port());
  } else {
    // The resolver has no per-operation cancellation: a timer cancels the whole resolver,
    // which it shares with this frame (the timer's handler may run after the frame is gone).
    auto resolver = std::make_shared<tcp::resolver>(executor_);
    asio::steady_timer deadline(executor_, timeout);
    deadline.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver)](const error_code& timer_error) {
      if (timer_error) return;
      if (auto shared = weak.lock()) shared->cancel();
    });
    auto [resolve_error, results] = co_await resolver->async_resolve(
        url.host(), std::to_string(url.port()), asio::as_tuple(asio::use_awaitable));
    const bool timed_out = deadline.expiry() <= std::chrono::steady_clock::now();
    deadline.cancel();
    if (resolve_error) co_return timed_out && resolve_error == asio::error::operation_aborted
                                 ? error_code(beast::error::timeout)
                                 : resolve_error;
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  const auto left = timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - started);
  if (left <= std::chrono::milliseconds(0)) co_return error_code(beast::error::timeout);
  connection.stream.expires_after(left);
  auto [connect_error, endpoint] =
      co_await connection.stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
  if (!connect_error) ++connections_opened_;
  co_return connect_error;
}

asio::awaitable<HttpResult> HttpClient::attempt(Method method, const Url& url, const std::string& body,
                                                const RequestOptions& options, bool allow_reuse) {
  HttpResult result;
  std::unique_ptr<Connection> connection = allow_reuse ? take_idle(url.authority()) : nullptr;
  result.reused_connection = connection != nullptr;
  if (!connection) connection = std::make_unique<Connection>(executor_);

  active_.insert(connection.get());
  struct Deregister {
    std::unordered_set<Connection*>& active;
    Connection* connection;
    ~Deregister() { active.erase(connection); }
  } deregister{active_, connection.get()};

  if (!result.reused_connection) {
    result.error = co_await connect(*connection, url, options.connect_timeout);
    if (shut_down_ && !result.error) result.error = asio::error::operation_aborted;
    if (result.error) co_return result;
  }
  bool reusable = false;
  const bool reused = result.reused_connection;
  const auto request = make_request(method, url, body, options);
  result = co_await send_and_receive(connection->stream, request, options, clock_, reusable);
  result.reused_connection = reused;
  if (shut_down_) {
    if (!result.error && result.status == 0) result.error = asio::error::operation_aborted;
  } else if (reusable) {
    connection->idle_since = clock_.steady();
    idle_[url.authority()] = std::move(connection);  // replaces an older idle one
  }
  co_return result;
}

asio::awaitable<HttpResult> HttpClient::request(Method method, Url url, std::string body, RequestOptions options) {
  if (url.tls()) {
    HttpResult result;
    result.error = asio::error::operation_not_supported;  // TLS is not plugged in yet
    co_return result;
  }
  if (shut_down_) {
    HttpResult result;
    result.error = asio::error::operation_aborted;
    co_return result;
  }
  auto result = co_await attempt(method, url, body, options, true);
  if (result.reused_connection && result.status == 0 && stale_connection(result.error) && !shut_down_)
    result = co_await attempt(method, url, body, options, false);
  co_return result;
}

}  // namespace logpulse::net
