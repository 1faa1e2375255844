// The wire form of remote write 1.0: a prometheus.WriteRequest protobuf (remote/proto/),
// snappy block-compressed, as POSTed with Content-Encoding: snappy. Also the form of the
// on-disk queue's segment files. Each Series is one TimeSeries with one Sample.
//
//   std::string body = remote::encode_write_request(batch);     // ready to POST
//   auto back = remote::decode_write_request(body);             // nullopt if corrupt
//
// Pure functions: safe for concurrent use.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "remote/series.h"

namespace logpulse::remote {

inline constexpr std::string_view kContentType = "application/x-protobuf";
inline constexpr std::string_view kContentEncoding = "snappy";
inline constexpr std::string_view kVersionHeader = "X-Prometheus-Remote-Write-Version";
inline constexpr std::string_view kVersion = "0.1.0";

std::string encode_write_request(std::span<const Series> series);

// The series of a snappy-compressed WriteRequest (one Series per Sample), or nullopt when
// the data is not valid snappy or not a WriteRequest.
std::optional<std::vector<Series>> decode_write_request(std::string_view compressed);

}  // namespace logpulse::remote
