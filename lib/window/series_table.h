// SeriesTable: a window's label sets, each with its State, looked up by the joined label
// values without building a std::string per record; capped at max_series.
//
//   State* s = table.find_or_add(labels, now_bucket);   // nullptr: over max_series, dropped
//   table.erase_if([&](const State& s) { return s.expired(now_bucket); });
//
// When the table is full, expired label sets are swept (at most once per bucket) before a
// new one is refused. State must have `bool expired(int64_t now_bucket) const`. Nodes are
// stable: a State* stays valid until that label set is erased. Not thread safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "window/series_key.h"

namespace logpulse::window {

template <class State>
class SeriesTable {
 public:
  using Map = std::unordered_map<std::string, State, KeyHash, std::equal_to<>>;

  explicit SeriesTable(std::size_t max_series) : max_series_(max_series) {}

  // The state of `labels`, created empty on first use; nullptr when the table is full.
  State* find_or_add(std::span<const std::string_view> labels, int64_t now_bucket) {
    join_labels(labels, scratch_);
    auto it = map_.find(std::string_view(scratch_));
    if (it != map_.end()) return &it->second;
    if (map_.size() >= max_series_) {
      if (swept_at_ == now_bucket) return nullptr;
      swept_at_ = now_bucket;
      std::erase_if(map_, [&](const auto& kv) { return kv.second.expired(now_bucket); });
      if (map_.size() >= max_series_) return nullptr;
    }
    return &map_.try_emplace(scratch_).first->second;
  }

  // For restore: the state under an already joined key.
  State& emplace(std::string_view key) { return map_.try_emplace(std::string(key)).first->second; }

  void expire(int64_t now_bucket) {
    std::erase_if(map_, [&](const auto& kv) { return kv.second.expired(now_bucket); });
  }

  Map& map() { return map_; }
  const Map& map() const { return map_; }
  std::size_t size() const { return map_.size(); }
  std::size_t max_series() const { return max_series_; }
  void clear() { map_.clear(); }

  // Approximate bytes of one map node beyond its State (key, node, bucket pointer).
  static std::size_t node_overhead(const std::string& key) {
    return sizeof(typename Map::value_type) + 2 * sizeof(void*) + 8 +
           (key.capacity() > 15 ? key.capacity() + 1 : 0);
  }

 private:
  Map map_;
  std::string scratch_;
  std::size_t max_series_;
  int64_t swept_at_ = INT64_MIN;
};

}  // namespace logpulse::window
