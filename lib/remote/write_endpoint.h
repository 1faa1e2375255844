// WriteEndpoint: delivery to one remote-write URL. Snapshots are pushed into its bounded
// SampleQueue (and, with a state directory, saved as segment files first, so they survive
// a restart); a worker coroutine sends them oldest first, at most max_samples_per_send
// series per POST (protobuf WriteRequest, snappy, the remote-write 1.0 headers).
// Network errors, timeouts, 5xx and 429 are retried with exponential backoff and jitter
// (a Retry-After is honoured up to net::kMaxRetryAfter); the batch being retried stays in
// the queue and is never dropped under it. Any other response (4xx) refuses the batch for
// good: its samples are counted `failed` and leave the queue. Failures are logged at most
// once a minute. Delivery is at least once: a batch whose answer was lost, or a segment
// partly sent before a restart, is sent again (receivers accept identical samples).
//
//   WriteEndpoint endpoint(io.get_executor(), client, options, metrics);
//   endpoint.load();                                  // segments left by the last run
//   co_spawn(io, endpoint.run(), detached);
//   endpoint.push(std::move(snapshot));               // every write_interval
//
// Threads: everything runs on the one thread of the io_context `executor` belongs to.
// Lifetime: after stop(), let the io_context run until idle() before destroying it (the
// worker's frame refers to it); `client` outlives it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/log_throttle.h"
#include "net/backoff.h"
#include "net/http_client.h"
#include "net/url.h"
#include "remote/remote_write_metrics.h"
#include "remote/sample_queue.h"
#include "remote/segment_store.h"

namespace logpulse::remote {

// Series per POST: Prometheus sends up to 2,000 (queue_config.max_samples_per_send).
inline constexpr std::size_t kMaxSamplesPerSend = 2000;
inline constexpr std::chrono::seconds kFailureLogInterval{60};

struct EndpointOptions {
  net::Url url;
  net::RequestOptions request;     // headers, basic auth with a literal password, timeouts
  std::string password_file;       // basic auth's password, read at each attempt
  std::string bearer_token_file;   // read at each attempt
  std::size_t max_samples = 500'000;
  std::size_t max_bytes = 64u << 20;
  std::size_t max_samples_per_send = kMaxSamplesPerSend;
  net::BackoffPolicy backoff;
  std::string segment_dir;         // empty: memory only
};

class WriteEndpoint {
 public:
  WriteEndpoint(boost::asio::any_io_executor executor, net::HttpClient& client, EndpointOptions options,
                EndpointMetrics metrics, core::Clock& clock = core::system_clock());
  WriteEndpoint(const WriteEndpoint&) = delete;
  WriteEndpoint& operator=(const WriteEndpoint&) = delete;

  // Queues the segments a previous run left on disk (nothing without a segment_dir).
  void load();
  // Queues one snapshot; drops the oldest beyond the bounds (counted).
  void push(std::vector<Series> snapshot);
  // The worker: returns after stop().
  boost::asio::awaitable<void> run();
  void stop();
  bool idle() const { return !running_; }

  std::size_t queued_samples() const { return queue_.samples(); }
  const net::Url& url() const { return options_.url; }

 private:
  // Queues a segment; true when the queue kept (some of) it.
  bool enqueue(Segment segment);
  void forget(std::optional<std::uint64_t> done);
  void publish_queue_size();
  std::optional<net::RequestOptions> request_options();

  EndpointOptions options_;
  net::HttpClient& client_;
  EndpointMetrics metrics_;
  core::Clock& clock_;
  SampleQueue queue_;
  std::unique_ptr<SegmentStore> store_;
  std::uint64_t next_sequence_ = 1;
  boost::asio::steady_timer wake_;   // the worker waits on it while the queue is empty
  boost::asio::steady_timer retry_;  // and on this one between attempts
  net::Backoff backoff_;
  core::LogThrottle log_{kFailureLogInterval};
  unsigned consecutive_failures_ = 0;
  bool running_ = false;
  bool stopping_ = false;
};

}  // namespace logpulse::remote
