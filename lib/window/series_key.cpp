#include "window/series_key.h"

namespace logpulse::window {

void join_labels(std::span<const std::string_view> labels, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out.push_back(kLabelSeparator);
    std::size_t start = out.size();
    out.append(labels[i]);
    if (labels[i].find(kLabelSeparator) == std::string_view::npos) continue;
    for (std::size_t j = start; j < out.size(); ++j) {
      if (out[j] == kLabelSeparator) out[j] = '?';
    }
  }
}

void split_labels(std::string_view key, std::size_t n_labels, std::vector<std::string_view>& out) {
  out.clear();
  if (n_labels == 0) return;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = key.find(kLabelSeparator, start);
    out.push_back(key.substr(start, end == std::string_view::npos ? key.npos : end - start));
    if (end == std::string_view::npos) return;
    start = end + 1;
  }
}

}  // namespace logpulse::window
