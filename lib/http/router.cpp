#include "http/router.h"

#include <cstdio>
#include <sstream>

#include "core/text_escape.h"
#include "http/request_target.h"
#include "http/status_page.h"
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
  StatusPageInput input{board_.snapshot(), board_.ready(), nullptr, {}, 0};
  std::shared_ptr<const pipeline::WindowSnapshot> windows;
  if (analytics_ != nullptr) {
    windows = analytics_->windows();
    input.windows = windows.get();
    input.alerts = analytics_->alerts();
    input.alert_rules = analytics_->alert_rules();
  }
  return make(status::ok, "text/html; charset=utf-8", render_status_page(input));
}

}  // namespace logpulse::http
