// Request-target and content-coding helpers for the router: pure functions on header text,
// safe for concurrent use. Returned views point into the argument.
//
//   request_path("http://h:9273/metrics?x=1") == "/metrics"
//   accepts_gzip("deflate, GZIP;q=0.5") == true, accepts_gzip("gzip;q=0") == false
#pragma once

#include <string_view>

namespace logpulse::http {

// The path of an origin-form ("/metrics?x") or absolute-form ("http://host:port/metrics",
// RFC 9112 3.2.2) request target, without its query. An absolute form without a path is "/".
std::string_view request_path(std::string_view target);

// True when an Accept-Encoding value (RFC 9110 12.5.3) makes gzip acceptable: codings are
// case-insensitive, "gzip;q=0" refuses it, an explicit gzip entry overrides "*".
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace logpulse::http
