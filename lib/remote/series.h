// Series: one sample of one time series as remote write sends it: its labels (__name__
// among them, sorted by name, as the protocol requires), a value and the time it was taken.
// The one small type the remote-write stages (snapshot, queue, encoding, disk) exchange.
// Plain values: copy freely; safe for concurrent reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace logpulse::remote {

using Label = std::pair<std::string, std::string>;  // name, value
using Labels = std::vector<Label>;

struct Series {
  Labels labels;               // sorted by name, names unique
  double value = 0;
  std::int64_t timestamp_ms = 0;  // milliseconds since the Unix epoch

  // What it costs to hold, for the queue's byte bound: label text plus a fixed overhead.
  std::size_t bytes() const {
    std::size_t n = 48;
    for (const auto& [name, text] : labels) n += name.size() + text.size() + 16;
    return n;
  }
  bool operator==(const Series&) const = default;
};

}  // namespace logpulse::remote
