// Url: an absolute http(s) URL split into what a client needs to connect and to send a
// request line: scheme, host, port, target (path and query).
//
//   auto url = net::Url::parse("http://127.0.0.1:9093/api/v2/alerts");
//   if (!url) spdlog::error("{}", url.error());   // says what is wrong, for config errors
//
// Accepted: http:// and https:// (the client speaks TLS for https), a host
// name, an IPv4 address or a bracketed IPv6 address, an optional port (default 80 / 443), an
// optional path (default "/"). Userinfo ("user:pass@") is refused: credentials go in the
// request options, never in a URL that ends up in logs. A fragment is dropped.
// Values, no shared state: safe for concurrent use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace logpulse::net {

class Url {
 public:
  // The URL, or a message that says what is wrong with it.
  class ParseResult;
  static ParseResult parse(std::string_view text);

  const std::string& scheme() const { return scheme_; }
  const std::string& host() const { return host_; }  // without IPv6 brackets
  std::uint16_t port() const { return port_; }
  const std::string& target() const { return target_; }
  bool tls() const { return scheme_ == "https"; }
  // "host:port" ("[::1]:9093" for IPv6): the key of a reusable connection, and the Host header.
  std::string authority() const;
  // A copy with another target, e.g. base.with_target("/api/v2/alerts").
  Url with_target(std::string target) const;
  std::string str() const { return scheme_ + "://" + authority() + target_; }

 private:
  std::string scheme_;
  std::string host_;
  std::uint16_t port_ = 0;
  std::string target_;
};

class Url::ParseResult {
 public:
  ParseResult(Url url) : value_(std::move(url)) {}
  ParseResult(std::string error) : value_(std::move(error)) {}
  explicit operator bool() const { return std::holds_alternative<Url>(value_); }
  const Url& operator*() const { return std::get<Url>(value_); }
  const Url* operator->() const { return &std::get<Url>(value_); }
  const std::string& error() const { return std::get<std::string>(value_); }

 private:
  std::variant<Url, std::string> value_;
};

}  // namespace logpulse::net
