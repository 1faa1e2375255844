#include "daemon/health_check.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <exception>
#include <optional>

#include "daemon/listen_file.h"

namespace logpulse {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// /-/healthy answers a few bytes; anything much bigger is not logpulse.
constexpr std::uint64_t kMaxHealthAnswerBytes = 64 * 1024;

// "127.0.0.1:9273" or "[::1]:9273" as the listen file has it; a wildcard host is reached on
// loopback, as a daemon bound to every address is also bound there.
std::optional<tcp::endpoint> health_endpoint(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  const char* first = address.data() + colon + 1;
  const char* last = address.data() + address.size();
  const auto [end, parse_error] = std::from_chars(first, last, port);
  if (parse_error != std::errc() || end != last || port == 0 || port > 65535) return std::nullopt;
  boost::system::error_code error;
  auto ip = asio::ip::make_address(host, error);
  if (error) return std::nullopt;
  if (ip.is_unspecified())
    ip = ip.is_v6() ? asio::ip::address(asio::ip::address_v6::loopback()) : asio::ip::address(asio::ip::address_v4::loopback());
  return tcp::endpoint(ip, static_cast<unsigned short>(port));
}

bool requires_client_certificate(const config::Config& config) {
  return config.web.tls && (config.web.tls_server.client_auth == config::ClientAuth::kRequireAnyClientCert ||
                            config.web.tls_server.client_auth == config::ClientAuth::kRequireAndVerifyClientCert);
}

std::string seconds_text(std::chrono::steady_clock::duration timeout) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

struct Attempt {
  const config::Config& config;
  std::string url;  // "https://127.0.0.1:9273", for messages
  std::string timeout_text;

  std::string failed(const std::string& what, const beast::error_code& error) const {
    if (error == beast::error::timeout) return "no answer from " + url + " within " + timeout_text;
    std::string line = url + ": " + what + ": " + error.message();
    if (requires_client_certificate(config))
      line += " (client_auth_type requires a client certificate, which --healthcheck does not present)";
    return line;
  }

  // Sends GET /-/healthy on a connected (and, for TLS, shaken hands) stream.
  template <typename Stream>
  asio::awaitable<std::string> ask(Stream& stream, const std::string& host) const {
    http::request<http::empty_body> request{http::verb::get, "/-/healthy", 11};
    request.set(http::field::host, host);
    request.set(http::field::user_agent, std::string("logpulse-healthcheck/") + LOGPULSE_VERSION);
    request.set(http::field::connection, "close");
    auto [write_error, written] = co_await http::async_write(stream, request, asio::as_tuple(asio::use_awaitable));
    if (write_error) co_return failed("sending GET /-/healthy", write_error);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxHealthAnswerBytes);
    auto [read_error, read] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (read_error) co_return failed("no answer to GET /-/healthy", read_error);
    const auto& response = parser.get();
    if (response.result() == http::status::ok) co_return "";
    std::string line = "GET " + url + "/-/healthy: " + std::to_string(response.result_int()) + " " +
                       std::string(response.reason());
    if (response.result() == http::status::unauthorized)
      line += ": basic auth is on and the health check has no credentials; set `web.health_without_auth: true` "
              "so that /-/healthy answers without them";
    co_return line;
  }
};

asio::awaitable<std::string> check_plain(const Attempt& attempt, tcp::endpoint endpoint, std::string host,
                                         std::chrono::steady_clock::duration timeout) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(timeout);  // one deadline for everything below
  auto [connect_error] = co_await stream.async_connect(endpoint, asio::as_tuple(asio::use_awaitable));
  if (connect_error) co_return attempt.failed("cannot connect", connect_error);
  co_return co_await attempt.ask(stream, host);
}

asio::awaitable<std::string> check_tls(const Attempt& attempt, tcp::endpoint endpoint, std::string host,
                                       std::chrono::steady_clock::duration timeout) {
  asio::ssl::context context(asio::ssl::context::tls_client);
  // The daemon may be limited to any version and suite web.tls_server_config allows: offer
  // them all. The certificate is not checked: this is the daemon's own, reached by address.
  SSL_CTX* native = context.native_handle();
  SSL_CTX_set_security_level(native, 0);
  SSL_CTX_set_min_proto_version(native, TLS1_VERSION);
  SSL_CTX_set_cipher_list(native, "ALL:@SECLEVEL=0");
  context.set_verify_mode(asio::ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(co_await asio::this_coro::executor, context);
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(timeout);  // one deadline for everything below
  auto [connect_error] = co_await tcp_layer.async_connect(endpoint, asio::as_tuple(asio::use_awaitable));
  if (connect_error) co_return attempt.failed("cannot connect", connect_error);
  auto [handshake_error] =
      co_await stream.async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
  if (handshake_error) co_return attempt.failed("TLS handshake failed", handshake_error);
  co_return co_await attempt.ask(stream, host);
}

}  // namespace

std::string check_health(const config::Config& config, std::chrono::steady_clock::duration timeout) {
  std::string read_error;
  const auto addresses = read_listen_file(config.state_dir, read_error);
  const std::string listen_path = config.state_dir + "/" + kListenFileName;
  if (addresses.empty())
    return "no address to ask in " + listen_path + " (" + (read_error.empty() ? "empty" : read_error) +
           "): is logpulse running with this configuration's state_dir, and listening yet?";
  const std::string& address = addresses.front();
  const auto endpoint = health_endpoint(address);
  if (!endpoint) return listen_path + ": '" + address + "' is not host:port";

  const Attempt attempt{config, (config.web.tls ? "https://" : "http://") + address, seconds_text(timeout)};
  asio::io_context io;
  std::string outcome = "the check did not finish";
  auto check = config.web.tls ? check_tls(attempt, *endpoint, address, timeout)
                              : check_plain(attempt, *endpoint, address, timeout);
  asio::co_spawn(io, std::move(check), [&outcome](std::exception_ptr failure, std::string result) {
    if (!failure) {
      outcome = std::move(result);
      return;
    }
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      outcome = std::string("the check failed: ") + e.what();
    }
  });
  io.run();
  return outcome;
}

}  // namespace logpulse
