// AlertQueue: the bounded FIFO of alert batches waiting for one Alertmanager. A batch is a
// rendered JSON array of alerts and how many alerts it holds. Bounded by alerts and by
// bytes: pushing past either bound drops the oldest batches (whole) and reports how many
// alerts went, so a dead Alertmanager costs at most the bound in memory. A single batch
// larger than the bounds is still kept (alone): its memory is the caller's already.
//
//   AlertQueue queue(1000, 4 << 20);
//   dropped += queue.push({json, 3});
//   auto batches = queue.take(64);        // in flight; on failure:
//   dropped += queue.put_back(std::move(batches));
//
// Not thread safe: AlertmanagerSender guards it with its mutex.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace logpulse::alert {

struct AlertBatch {
  std::string json;        // a JSON array: "[{...},{...}]"
  std::size_t alerts = 0;  // how many alerts the array holds
};

class AlertQueue {
 public:
  AlertQueue(std::size_t max_alerts, std::size_t max_bytes) : max_alerts_(max_alerts), max_bytes_(max_bytes) {}

  // Appends a batch; returns the number of alerts dropped (oldest first) to stay in bounds.
  std::size_t push(AlertBatch batch);
  // Removes batches from the front holding at most `max_alerts` alerts together (always at
  // least one batch when not empty), in order.
  std::vector<AlertBatch> take(std::size_t max_alerts);
  // Returns taken batches to the front, in their order, after a failed attempt; returns the
  // number of alerts dropped (they are now the oldest, so they go first).
  std::size_t put_back(std::vector<AlertBatch> batches);

  bool empty() const { return batches_.empty(); }
  std::size_t alerts() const { return alerts_; }
  std::size_t bytes() const { return bytes_; }

 private:
  std::size_t enforce_bounds();

  std::size_t max_alerts_;
  std::size_t max_bytes_;
  std::deque<AlertBatch> batches_;
  std::size_t alerts_ = 0;
  std::size_t bytes_ = 0;
};

// Joins JSON arrays into one array: ["[a,b]", "[c]", "[]"] -> "[a,b,c]". Each input must be
// a JSON array (surrounding whitespace allowed); its elements are copied as they are.
std::string join_json_arrays(const std::vector<AlertBatch>& batches);

}  // namespace logpulse::alert
