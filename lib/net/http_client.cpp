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
#include <boost/beast/ssl/ssl_stream.hpp>
#include <variant>

#include "net/retry_after.h"
#include "tls/client_tls.h"
#include "tls/openssl_text.h"

namespace logpulse::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

struct HttpClient::Connection {
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;

  explicit Connection(asio::any_io_executor executor)
      : stream(std::in_place_type<beast::tcp_stream>, std::move(executor)) {}
  Connection(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls_context)
      : context(std::move(tls_context)), stream(std::in_place_type<TlsStream>, std::move(executor), *context) {}

  beast::tcp_stream& tcp() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); }, stream);
  }
  TlsStream* tls() { return std::get_if<TlsStream>(&stream); }

  std::shared_ptr<asio::ssl::context> context;  // declared first: outlives the stream using it
  std::variant<beast::tcp_stream, TlsStream> stream;
  core::Clock::SteadyTime idle_since{};
};

namespace {

// Where a kept-alive connection may serve the next request: the same scheme, host and port,
// and for TLS the same ClientTls (and its current context: see attempt()).
std::string connection_key(const Url& url, const tls::ClientTls* client_tls) {
  std::string key = url.scheme() + "://" + url.authority();
  if (client_tls != nullptr) key += "#" + std::to_string(reinterpret_cast<std::uintptr_t>(client_tls));
  return key;
}

class TlsFilesCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "logpulse.tls_files"; }
  std::string message(int) const override { return "the TLS files changed and cannot be used"; }
};

}  // namespace

const error_code& tls_files_refused() {
  static const TlsFilesCategory category;
  static const error_code error(1, category);
  return error;
}

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

// Errors that mean "the server closed this kept-alive connection before we used it" (over
// TLS, a close without close_notify is stream_truncated).
bool stale_connection(const error_code& error) {
  return error == http::error::end_of_stream || error == asio::error::connection_reset ||
         error == asio::error::broken_pipe || error == asio::error::eof || error == asio::ssl::error::stream_truncated;
}

// One request and its response on any Beast stream (plain TCP, or TLS over it). The
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
  if (error == beast::error::timeout) return detail.empty() ? "timeout" : "timeout (" + detail + ")";
  if (error) return detail.empty() ? error.message() : error.message() + " (" + detail + ")";
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
    auto& stream = connection->tcp();
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.cancel();
    stream.close();
  }
}

std::unique_ptr<HttpClient::Connection> HttpClient::take_idle(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto connection = std::move(it->second);
  idle_.erase(it);
  if (clock_.steady() - connection->idle_since > kMaxIdleTime) return nullptr;
  return connection;
}

tls::ClientTls& HttpClient::tls_for(const RequestOptions& options) {
  if (options.tls != nullptr) return *options.tls;
  // The system's CA store, the URL's host: what an https URL without a tls_config means.
  if (!default_tls_) default_tls_ = std::make_unique<tls::ClientTls>(config::TlsClientConfig{}, std::string());
  return *default_tls_;
}

asio::awaitable<error_code> HttpClient::connect(Connection& connection, const Url& url,
                                                std::chrono::milliseconds timeout, std::string& detail) {
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
  auto& stream = connection.tcp();
  stream.expires_after(left);
  auto [connect_error, endpoint] = co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
  if (connect_error) co_return connect_error;
  ++connections_opened_;
  auto* tls_stream = connection.tls();
  if (tls_stream == nullptr) co_return error_code();

  // The handshake has what is left of the connect timeout (the tcp_stream's expiry).
  auto [handshake_error] =
      co_await tls_stream->async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
  if (handshake_error) {
    const long verify = SSL_get_verify_result(tls_stream->native_handle());
    if (verify != X509_V_OK) detail = X509_verify_cert_error_string(verify);
    co_return handshake_error;
  }
  co_return error_code();
}

asio::awaitable<HttpResult> HttpClient::attempt(Method method, const Url& url, const std::string& body,
                                                const RequestOptions& options, bool allow_reuse) {
  HttpResult result;
  tls::ClientTls* client_tls = nullptr;
  std::shared_ptr<asio::ssl::context> tls_context;
  if (url.tls()) {
    client_tls = &tls_for(options);
    auto current = client_tls->current();
    if (!current.refused.empty()) {
      result.error = tls_files_refused();
      result.detail = std::move(current.refused);
      co_return result;
    }
    tls_context = std::move(current.context);
  }
  const std::string key = connection_key(url, client_tls);
  std::unique_ptr<Connection> connection = allow_reuse ? take_idle(key) : nullptr;
  // A connection made with files since replaced (a renewed certificate, a new CA) is closed.
  if (connection && connection->context != tls_context) connection.reset();
  result.reused_connection = connection != nullptr;
  if (!connection) {
    if (client_tls == nullptr) {
      connection = std::make_unique<Connection>(executor_);
    } else {
      connection = std::make_unique<Connection>(executor_, std::move(tls_context));
      if (!client_tls->prepare(connection->tls()->native_handle(), url.host())) {
        result.error = asio::error::invalid_argument;
        result.detail = "OpenSSL refuses the server name: " + tls::last_openssl_error();
        co_return result;
      }
    }
  }

  active_.insert(connection.get());
  struct Deregister {
    std::unordered_set<Connection*>& active;
    Connection* connection;
    ~Deregister() { active.erase(connection); }
  } deregister{active_, connection.get()};

  if (!result.reused_connection) {
    result.error = co_await connect(*connection, url, options.connect_timeout, result.detail);
    if (shut_down_ && !result.error) result.error = asio::error::operation_aborted;
    if (result.error) co_return result;
  }
  bool reusable = false;
  const bool reused = result.reused_connection;
  const auto request = make_request(method, url, body, options);
  result = co_await std::visit(
      [&](auto& stream) { return send_and_receive(stream, request, options, clock_, reusable); }, connection->stream);
  result.reused_connection = reused;
  if (shut_down_) {
    if (!result.error && result.status == 0) result.error = asio::error::operation_aborted;
  } else if (reusable) {
    connection->idle_since = clock_.steady();
    idle_[key] = std::move(connection);  // replaces an older idle one
  }
  co_return result;
}

asio::awaitable<HttpResult> HttpClient::request(Method method, Url url, std::string body, RequestOptions options) {
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
