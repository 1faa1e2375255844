#include "http/request_target.h"

#include <boost/beast/core/string.hpp>
#include <charconv>
#include <optional>

namespace logpulse::http {

namespace {
std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && boost::beast::iequals(text.substr(0, prefix.size()), prefix);
}

// The weight of one Accept-Encoding element's parameters: 1 without q, nothing if q is malformed.
std::optional<double> weight(std::string_view params) {
  while (!params.empty()) {
    std::size_t semicolon = params.find(';');
    std::string_view param = trim(params.substr(0, semicolon));
    params = semicolon == std::string_view::npos ? std::string_view{} : params.substr(semicolon + 1);
    std::size_t equals = param.find('=');
    if (equals == std::string_view::npos || !boost::beast::iequals(trim(param.substr(0, equals)), "q")) continue;
    std::string_view value = trim(param.substr(equals + 1));
    double q = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), q);
    if (error != std::errc{} || end != value.data() + value.size() || q < 0 || q > 1) return std::nullopt;
    return q;
  }
  return 1.0;
}
}  // namespace

std::string_view request_path(std::string_view target) {
  if (starts_with_nocase(target, "http://") || starts_with_nocase(target, "https://")) {
    std::string_view rest = target.substr(target.find("//") + 2);
    std::size_t path = rest.find_first_of("/?");
    if (path == std::string_view::npos || rest[path] == '?') return "/";
    target = rest.substr(path);
  }
  return target.substr(0, target.find('?'));
}

bool accepts_gzip(std::string_view header) {
  std::optional<double> gzip_q;
  std::optional<double> any_q;
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view element = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    std::size_t semicolon = element.find(';');
    std::string_view coding = trim(element.substr(0, semicolon));
    auto q = weight(semicolon == std::string_view::npos ? std::string_view{} : element.substr(semicolon + 1));
    if (!q) continue;
    if (boost::beast::iequals(coding, "gzip") || boost::beast::iequals(coding, "x-gzip")) {
      gzip_q = gzip_q ? std::max(*gzip_q, *q) : *q;
    } else if (coding == "*") {
      any_q = q;
    }
  }
  if (gzip_q) return *gzip_q > 0;
  return any_q && *any_q > 0;
}

}  // namespace logpulse::http
