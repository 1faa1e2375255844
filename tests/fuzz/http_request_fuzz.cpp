// Fuzzes the HTTP request path without a socket: bytes -> Beast's request parser with the
// server's limits (kMaxHeaderBytes, kMaxBodyBytes) -> http::Router, for every request of a
// pipelined stream, as HttpServer::serve does. The status board shows a source and a file
// whose name and path come from the input, and a line of text from the input as what the
// logs put on the status page (an unmatched line, a rule name, a window's label value, an
// alert's labels and annotation), so escaping is fuzzed too.
// Input: source name, file path, log text (FuzzedDataProvider strings), then the request bytes.
// Invariants: the router never throws; unknown paths get 404, other methods than GET/HEAD on
// known paths 405; the lifecycle paths (/-/reload, /-/quit; not enabled here) answer 403 to
// POST and PUT and 405 to anything else; Content-Length is the body's size; /api/v1/sources is valid JSON; the
// status page has the same markup (count of '<') as with a plain source name, path and text.
#include <fuzzer/FuzzedDataProvider.h>
#include <prometheus/registry.h>
#include <simdjson.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <algorithm>
#include <string>

#include "fuzz_check.h"
#include "http/request_target.h"
#include "http/router.h"
#include "metrics/self_metrics.h"
#include "pipeline/analytics_board.h"

namespace {

namespace http = boost::beast::http;
using logpulse::http::Request;
using logpulse::http::Response;

bool known_path(std::string_view path) {
  return path == "/metrics" || path == "/-/healthy" || path == "/-/ready" || path == "/api/v1/sources" ||
         path == "/api/v1/alerts" || path == "/";
}

// `plain` is what the router answers for the same request when the source name and file
// path are plain words: the markup of the status page must not depend on them.
void check_response(const Request& request, const Response& response, const Response& plain) {
  const auto length = response.find(http::field::content_length);
  FUZZ_CHECK(length != response.end(), "every response has a Content-Length");
  FUZZ_CHECK(length->value() == std::to_string(response.body().size()), "Content-Length is the body's size");
  // The path as the router sees it: absolute-form targets ("http://host/metrics") included.
  const std::string_view route = logpulse::http::request_path(request.target());
  if (route == "/-/reload" || route == "/-/quit") {
    const bool post_or_put = request.method() == http::verb::post || request.method() == http::verb::put;
    FUZZ_CHECK(response.result() == (post_or_put ? http::status::forbidden : http::status::method_not_allowed),
               "lifecycle paths: 403 to POST and PUT when not enabled, else 405");
    return;
  }
  if (!known_path(route)) {
    FUZZ_CHECK(response.result() == http::status::not_found, "unknown paths get 404");
    return;
  }
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    FUZZ_CHECK(response.result() == http::status::method_not_allowed, "other methods get 405");
    return;
  }
  if (route == "/api/v1/sources") {
    simdjson::dom::parser parser;
    simdjson::dom::element document;
    FUZZ_CHECK(parser.parse(response.body()).get(document) == simdjson::SUCCESS, "/api/v1/sources is valid JSON");
  } else if (route == "/") {
    FUZZ_CHECK(std::count(response.body().begin(), response.body().end(), '<') ==
                   std::count(plain.body().begin(), plain.body().end(), '<'),
               "the status page escapes source names, file paths and what the logs hold");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider input(bytes, size);
  logpulse::pipeline::SourceStatus source;
  source.name = input.ConsumeRandomLengthString(32);
  source.watcher = "inotify";
  source.has_rules = true;
  source.lines_read = 3;
  source.lines_unmatched = 1;
  logpulse::tail::FileStatus file;
  file.path = input.ConsumeRandomLengthString(64);
  file.identity = "2049:131:256:0123456789abcdef";
  file.offset = 10, file.size = 20, file.lag = 10;
  source.files.push_back(file);
  const std::string text = input.ConsumeRandomLengthString(128);
  // Plain text of the same length: a line is shown cut, or not, by its length alone.
  const std::string plain_text(text.size(), 'x');
  logpulse::pipeline::SourceStatus plain_source = source;
  plain_source.name = "app";
  plain_source.files[0].path = "/var/log/app.log";
  source.rules = {{text, 2, 0}};
  source.unmatched_samples = {{text, text.size()}};
  plain_source.rules = {{plain_text, 2, 0}};
  plain_source.unmatched_samples = {{plain_text, plain_text.size()}};
  logpulse::pipeline::StatusBoard board;
  board.publish({source});
  logpulse::pipeline::StatusBoard plain_board;
  plain_board.publish({plain_source});
  logpulse::pipeline::AnalyticsBoard analytics, plain_analytics;
  for (const auto* t : {&text, &plain_text}) {
    logpulse::pipeline::WindowValues window;
    window.name = "errors_1m";
    window.rule = "access";
    window.by = {"status"};
    window.series = {{{*t}, 0, 3}};
    logpulse::alert::Alert alert;
    alert.labels = {{"alertname", "TooManyErrors"}, {"status", *t}};
    alert.annotations = {{"summary", *t}};
    alert.state = logpulse::alert::AlertState::kFiring;
    (t == &text ? analytics : plain_analytics)
        .publish(std::make_shared<logpulse::pipeline::WindowSnapshot>(std::vector{window},
                                                                      logpulse::alert::WallTime{}),
                 {alert}, 1);
  }
  if (input.ConsumeBool()) {
    board.set_ready();
    plain_board.set_ready();
  }

  auto registry = std::make_shared<prometheus::Registry>();
  logpulse::metrics::SelfMetrics self_metrics(*registry);
  auto source_metrics = self_metrics.for_source(source.name);
  const logpulse::http::Router router(
      [&] { return std::vector<std::shared_ptr<const prometheus::Collectable>>{registry}; }, board, {}, &analytics);
  const logpulse::http::Router plain_router(
      [&] { return std::vector<std::shared_ptr<const prometheus::Collectable>>{registry}; }, plain_board, {},
      &plain_analytics);

  const std::string stream = input.ConsumeRemainingBytesAsString();
  std::size_t at = 0;
  while (at < stream.size()) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(logpulse::http::kMaxHeaderBytes);
    parser.body_limit(logpulse::http::kMaxBodyBytes);
    parser.eager(true);
    boost::beast::error_code error;
    while (!parser.is_done() && at < stream.size()) {
      const std::size_t used = parser.put(boost::asio::buffer(stream.data() + at, stream.size() - at), error);
      at += used;
      if (error || used == 0) break;
    }
    if (!parser.is_done()) break;  // a bad or incomplete request: the server answers 4xx and closes
    const Request& request = parser.get();
    check_response(request, router.handle(request), plain_router.handle(request));
    if (!request.keep_alive()) break;
  }
  return 0;
}
