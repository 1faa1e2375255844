#include "net/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace logpulse::net {

namespace {
std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool valid_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}
}  // namespace

Url::ParseResult Url::parse(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::string("expected an absolute URL (http://host:port/path)");
  Url url;
  url.scheme_ = lower(text.substr(0, scheme_end));
  if (url.scheme_ != "http" && url.scheme_ != "https")
    return "unsupported scheme \"" + url.scheme_ + "\" (expected http or https)";
  text.remove_prefix(scheme_end + 3);

  if (const auto hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
  const auto authority_end = text.find_first_of("/?");
  std::string_view authority = text.substr(0, authority_end);
  const std::string_view target = authority_end == std::string_view::npos ? "/" : text.substr(authority_end);
  if (target.front() == '?') url.target_.push_back('/');  // "http://h?q" asks for "/?q"
  url.target_.append(target);
  if (authority.find('@') != std::string_view::npos)
    return std::string("credentials in a URL are not accepted; use basic_auth or a bearer token");

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::string("unterminated IPv6 address (missing ']')");
    url.host_ = std::string(authority.substr(1, close - 1));
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::string("expected ':' and a port after ']'");
      port_text = rest.substr(1);
    }
    if (url.host_.empty() || url.host_.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos)
      return "invalid IPv6 address \"" + url.host_ + "\"";
  } else {
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
    }
    if (authority.empty()) return std::string("missing host");
    if (!std::all_of(authority.begin(), authority.end(), valid_host_char))
      return "invalid host \"" + std::string(authority) + "\"";
    url.host_ = lower(authority);
  }

  if (port_text.empty()) {
    url.port_ = url.tls() ? 443 : 80;
  } else {
    unsigned value = 0;
    auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (error != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
      return "invalid port \"" + std::string(port_text) + "\" (expected 1-65535)";
    url.port_ = static_cast<std::uint16_t>(value);
  }
  return url;
}

std::string Url::authority() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

Url Url::with_target(std::string target) const {
  Url copy = *this;
  copy.target_ = target.empty() || target.front() != '/' ? "/" + target : std::move(target);
  return copy;
}

}  // namespace logpulse::net
