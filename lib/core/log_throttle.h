// LogThrottle: lets a message with a given key through at most once per interval, so a
// problem that repeats on every poll (an unreadable file, a directory where a file was
// expected) is logged once a minute instead of flooding. Not thread safe.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

namespace logpulse::core {

class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::seconds interval = std::chrono::seconds(60)) : interval_(interval) {}

  bool allow(const std::string& key) {
    const auto now = std::chrono::steady_clock::now();
    if (last_.size() > kMaxKeys) last_.clear();
    auto [it, inserted] = last_.try_emplace(key, now);
    if (inserted) return true;
    if (now - it->second < interval_) return false;
    it->second = now;
    return true;
  }

 private:
  static constexpr std::size_t kMaxKeys = 4096;
  std::chrono::steady_clock::duration interval_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_;
};

}  // namespace logpulse::core
