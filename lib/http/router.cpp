#include "http/router.h"

#include <cstdio>
#include <sstream>

#include "core/text_escape.h"
#include "http/request_target.h"
#include "metrics/exposition.h"

namespace logpulse::http {

namespace beast = boost::beast;
using beast::http::field;
using beast::http::status;

namespace {
Response make(status code, std::string content_type, std::string body) {
  Response response{code, 11};
  response.set(field::content_type, content_type);
  response.set(field::server, "logpulse/" LOGPULSE_VERSION);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) value /= 1024, ++unit;
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}
}  // namespace

Response Router::handle(const Request& request) const {
  std::string_view path = request_path(request.target());
  if (path == "/-/reload" || path == "/-/quit") return lifecycle(path, request);
  const bool known = path == "/metrics" || path == "/-/healthy" || path == "/-/ready" ||
                     path == "/api/v1/sources" || path == "/api/v1/alerts" || path == "/";
  if (!known) return make(status::not_found, "text/plain; charset=utf-8", "not found\n");
  if (request.method() != beast::http::verb::get && request.method() != beast::http::verb::head) {
    Response response = make(status::method_not_allowed, "text/plain; charset=utf-8", "method not allowed\n");
    response.set(field::allow, "GET, HEAD");
    return response;
  }
  if (path == "/metrics") return metrics(request);
  if (path == "/-/healthy") return make(status::ok, "text/plain; charset=utf-8", "logpulse is healthy\n");
  if (path == "/-/ready") {
    return board_.ready() ? make(status::ok, "text/plain; charset=utf-8", "logpulse is ready\n")
                          : make(status::service_unavailable, "text/plain; charset=utf-8", "logpulse is starting\n");
  }
  if (path == "/api/v1/sources") return sources_json();
  // Prometheus' shape.
  if (path == "/api/v1/alerts") {
    std::string body = analytics_ ? analytics_->alerts_json() : "{\"status\":\"success\",\"data\":{\"alerts\":[]}}";
    if (body.empty() || body.back() != '\n') body += '\n';
    return make(status::ok, "application/json", std::move(body));
  }
  return status_page();
}

// Prometheus' answers (web/web.go), word for word, so scripts written for it work here.
Response Router::lifecycle(std::string_view path, const Request& request) const {
  const auto verb = request.method();
  if (verb != beast::http::verb::post && verb != beast::http::verb::put) {
    Response response = make(status::method_not_allowed, "text/plain; charset=utf-8", "Only POST or PUT requests allowed\n");
    response.set(field::allow, "POST, PUT");
    return response;
  }
  if (!lifecycle_.enabled)
    return make(status::forbidden, "text/plain; charset=utf-8", "Lifecycle API is not enabled.\n");
  if (path == "/-/quit") {
    lifecycle_.quit();
    return make(status::ok, "text/plain; charset=utf-8", "Requesting termination... Goodbye!\n");
  }
  const std::string error = lifecycle_.reload();
  if (!error.empty())
    return make(status::internal_server_error, "text/plain; charset=utf-8", "failed to reload config: " + error + "\n");
  return make(status::ok, "text/plain; charset=utf-8", "configuration reloaded\n");
}

Response Router::metrics(const Request& request) const {
  const auto owned = collectables_();
  std::vector<const prometheus::Collectable*> collectables;
  for (const auto& collectable : owned) collectables.push_back(collectable.get());
  std::string text = metrics::render_text(collectables);
  auto accept = request.find(field::accept_encoding);
  if (accept != request.end() && accepts_gzip(accept->value())) {
    Response response = make(status::ok, metrics::kTextContentType, metrics::gzip(text));
    response.set(field::content_encoding, "gzip");
    response.set(field::vary, "Accept-Encoding");
    return response;
  }
  return make(status::ok, metrics::kTextContentType, std::move(text));
}

Response Router::sources_json() const {
  std::ostringstream out;
  out << "{\"status\":\"success\",\"data\":{\"sources\":[";
  bool first_source = true;
  for (const auto& source : board_.snapshot()) {
    out << (first_source ? "" : ",") << "{\"name\":\"" << core::json_escape(source.name) << "\",\"watcher\":\""
        << source.watcher << "\",\"lines_read\":" << source.lines_read << ",\"bytes_read\":" << source.bytes_read
        << ",\"lines_unmatched\":" << source.lines_unmatched << ",\"files\":[";
    first_source = false;
    bool first_file = true;
    for (const auto& file : source.files) {
      out << (first_file ? "" : ",") << "{\"path\":\"" << core::json_escape(file.path) << "\",\"identity\":\""
          << file.identity << "\",\"offset\":" << file.offset << ",\"size\":" << file.size
          << ",\"lag\":" << file.lag << ",\"state\":\"" << file.state << "\"}";
      first_file = false;
    }
    out << "]}";
  }
  out << "]}}\n";
  return make(status::ok, "application/json", out.str());
}

Response Router::status_page() const {
  std::ostringstream out;
  out << "<!doctype html><html><head><meta charset=\"utf-8\"><title>logpulse</title>"
         "<meta http-equiv=\"refresh\" content=\"5\">"
         "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}"
         "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f3f3f3}"
         "td.n{text-align:right;font-variant-numeric:tabular-nums}.draining{color:#a60}</style></head><body>"
         "<h1>logpulse " LOGPULSE_VERSION "</h1><p>"
      << (board_.ready() ? "Ready." : "Starting: discovering files.")
      << " <a href=\"/metrics\">/metrics</a> · <a href=\"/api/v1/sources\">/api/v1/sources</a></p>";
  for (const auto& source : board_.snapshot()) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", source.lines_per_second);
    out << "<h2>source " << core::html_escape(source.name) << "</h2><p>" << source.lines_read << " lines ("
        << human_bytes(source.bytes_read) << ") read, " << rate << " lines/s, ";
    if (source.has_rules && source.lines_read > 0) {
      char matched[32];
      std::snprintf(matched, sizeof matched, "%.1f%%",
                    100.0 * static_cast<double>(source.lines_read - std::min(source.lines_read, source.lines_unmatched)) /
                        static_cast<double>(source.lines_read));
      out << matched << " matched, ";
    }
    out << "watcher: " << source.watcher << ", " << source.files.size() << " file(s)</p>"
        << "<table><tr><th>file</th><th>state</th><th>offset</th><th>size</th><th>lag</th></tr>";
    for (const auto& file : source.files) {
      out << "<tr class=\"" << file.state << "\"><td>" << core::html_escape(file.path) << "</td><td>" << file.state
          << "</td><td class=n>" << file.offset << "</td><td class=n>" << human_bytes(file.size)
          << "</td><td class=n>" << human_bytes(file.lag) << "</td></tr>";
    }
    out << "</table>";
  }
  out << "</body></html>\n";
  return make(status::ok, "text/html; charset=utf-8", out.str());
}

}  // namespace logpulse::http
