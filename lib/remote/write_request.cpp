#include "remote/write_request.h"

#include <snappy.h>

#include "remote.pb.h"

namespace logpulse::remote {

std::string encode_write_request(std::span<const Series> series) {
  logpulse::prompb::WriteRequest request;
  request.mutable_timeseries()->Reserve(static_cast<int>(series.size()));
  for (const auto& one : series) {
    auto* ts = request.add_timeseries();
    ts->mutable_labels()->Reserve(static_cast<int>(one.labels.size()));
    for (const auto& [name, value] : one.labels) {
      auto* label = ts->add_labels();
      label->set_name(name);
      label->set_value(value);
    }
    auto* sample = ts->add_samples();
    sample->set_value(one.value);
    sample->set_timestamp(one.timestamp_ms);
  }
  std::string raw;
  request.SerializeToString(&raw);
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

std::optional<std::vector<Series>> decode_write_request(std::string_view compressed) {
  std::string raw;
  if (!snappy::Uncompress(compressed.data(), compressed.size(), &raw)) return std::nullopt;
  logpulse::prompb::WriteRequest request;
  if (!request.ParseFromString(raw)) return std::nullopt;
  std::vector<Series> out;
  for (const auto& ts : request.timeseries()) {
    Labels labels;
    labels.reserve(static_cast<std::size_t>(ts.labels_size()));
    for (const auto& label : ts.labels()) labels.emplace_back(label.name(), label.value());
    for (const auto& sample : ts.samples()) out.push_back(Series{labels, sample.value(), sample.timestamp()});
  }
  return out;
}

}  // namespace logpulse::remote
