#include "alert/labels.h"

#include <algorithm>

namespace logpulse::alert {

Labels sorted_labels(Labels labels) {
  std::stable_sort(labels.begin(), labels.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Labels out;
  out.reserve(labels.size());
  for (auto& pair : labels) {
    if (!out.empty() && out.back().first == pair.first) {
      out.back().second = std::move(pair.second);
    } else {
      out.push_back(std::move(pair));
    }
  }
  return out;
}

Labels merge_labels(const Labels& base, const Labels& overrides) {
  Labels out;
  out.reserve(base.size() + overrides.size());
  auto b = base.begin();
  auto o = overrides.begin();
  while (b != base.end() || o != overrides.end()) {
    if (o == overrides.end() || (b != base.end() && b->first < o->first)) {
      out.push_back(*b++);
    } else {
      if (b != base.end() && b->first == o->first) ++b;
      out.push_back(*o++);
    }
  }
  return out;
}

const std::string* find_label(const Labels& labels, const std::string& name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const auto& pair, const std::string& n) { return pair.first < n; });
  if (it == labels.end() || it->first != name) return nullptr;
  return &it->second;
}

}  // namespace logpulse::alert
