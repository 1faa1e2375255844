#include "alert/alert_queue.h"

namespace logpulse::alert {

std::size_t AlertQueue::push(AlertBatch batch) {
  alerts_ += batch.alerts;
  bytes_ += batch.json.size();
  batches_.push_back(std::move(batch));
  return enforce_bounds();
}

std::vector<AlertBatch> AlertQueue::take(std::size_t max_alerts) {
  std::vector<AlertBatch> out;
  std::size_t taken = 0;
  while (!batches_.empty() && (out.empty() || taken + batches_.front().alerts <= max_alerts)) {
    taken += batches_.front().alerts;
    alerts_ -= batches_.front().alerts;
    bytes_ -= batches_.front().json.size();
    out.push_back(std::move(batches_.front()));
    batches_.pop_front();
  }
  return out;
}

std::size_t AlertQueue::put_back(std::vector<AlertBatch> batches) {
  for (auto it = batches.rbegin(); it != batches.rend(); ++it) {
    alerts_ += it->alerts;
    bytes_ += it->json.size();
    batches_.push_front(std::move(*it));
  }
  return enforce_bounds();
}

std::size_t AlertQueue::enforce_bounds() {
  std::size_t dropped = 0;
  while (batches_.size() > 1 && (alerts_ > max_alerts_ || bytes_ > max_bytes_)) {
    dropped += batches_.front().alerts;
    alerts_ -= batches_.front().alerts;
    bytes_ -= batches_.front().json.size();
    batches_.pop_front();
  }
  return dropped;
}

namespace {
std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}
}  // namespace

std::string join_json_arrays(const std::vector<AlertBatch>& batches) {
  std::string out = "[";
  for (const auto& batch : batches) {
    auto array = trim(batch.json);
    if (array.size() < 2 || array.front() != '[' || array.back() != ']') continue;
    auto elements = trim(array.substr(1, array.size() - 2));
    if (elements.empty()) continue;
    if (out.size() > 1) out += ',';
    out += elements;
  }
  out += ']';
  return out;
}

}  // namespace logpulse::alert
