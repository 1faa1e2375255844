// Series keys: a label set (the values of a window's `by` captures, in order) joined into one
// string with kLabelSeparator, the key of a window's series table. Joining into a reused
// buffer costs no allocation once the buffer is large enough, so the hot path builds no
// std::string per record. A label value holding kLabelSeparator ('\x1f', never in text logs)
// would be ambiguous; it is replaced by '?'.
//
//   join_labels(labels, scratch_);   map.find(std::string_view(scratch_));
//   split_labels(point.labels, by.size(), out);   // views into the key
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace logpulse::window {

inline constexpr char kLabelSeparator = '\x1f';

void join_labels(std::span<const std::string_view> labels, std::string& out);
// Splits a key of `n_labels` values (a window without `by` has the key "" and 0 labels).
void split_labels(std::string_view key, std::size_t n_labels, std::vector<std::string_view>& out);

// Transparent hash so a std::unordered_map<std::string, V> is searched with a string_view.
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

}  // namespace logpulse::window
