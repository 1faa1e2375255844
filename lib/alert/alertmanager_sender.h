// AlertmanagerSender: delivers batches of alerts (rendered JSON arrays, Alertmanager API v2
// shape) to one or several Alertmanagers, POSTing to <url>/api/v2/alerts. A cluster gets
// every alert at every URL, as Prometheus does; each URL has its own queue and worker, so a
// dead one neither delays nor starves the others.
//
//   AlertmanagerSender sender(io, {.urls = {*net::Url::parse("http://am:9093")}});
//   sender.start();
//   sender.enqueue(R"([{"labels":{"alertname":"X"}}])", 1);   // from any thread
//
// Per URL: a bounded AlertQueue (max_queued_alerts / max_queued_bytes; when full the oldest
// batches are dropped and counted in `dropped`); up to max_alerts_per_post alerts joined
// into one POST; one attempt at a time, bounded by the request options' connect and
// exchange timeouts. Network errors, timeouts, 5xx and 429 are retried with exponential
// backoff and jitter (net::Backoff; a 429's or 5xx's Retry-After is honoured up to
// net::kMaxRetryAfter); a batch being retried stays the oldest in its queue, so a long
// outage drops it before newer ones. Other responses (4xx) are not retried: the alerts are
// counted as failed and rejected, and logged at most once a minute per URL.
// Counters count alerts, per URL attempt: `sent` (delivered, 2xx), `failed` (in an attempt
// that failed, retried or not), `rejected` (the 4xx subset of failed, given up), `dropped`
// (pushed out of a full queue). They back logpulse_alert_notifications_total{outcome}.
// Threads: enqueue() and the counters are safe from any thread; enqueue() never blocks
// beyond a short mutex section (no I/O under it). start() and stop() are called on the
// thread that runs the io_context, or before it runs; that io_context is run by one thread.
// Lifetime: start() once; after stop(), let the io_context run until idle() before
// destroying the sender (its workers' frames refer to it).
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alert/alert_queue.h"
#include "core/clock.h"
#include "core/log_throttle.h"
#include "net/backoff.h"
#include "net/http_client.h"
#include "net/url.h"

namespace logpulse::alert {

inline constexpr std::size_t kMaxQueuedAlerts = 1000;
inline constexpr std::size_t kMaxQueuedBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxAlertsPerPost = 64;  // as Prometheus' notifier batches
inline constexpr std::string_view kAlertsPath = "/api/v2/alerts";
inline constexpr std::chrono::seconds kFailureLogInterval{60};

struct AlertmanagerSenderOptions {
  std::vector<net::Url> urls;    // base URLs; a path is kept as a prefix of kAlertsPath
  net::RequestOptions request;   // auth, headers, connect and exchange timeouts per attempt
  net::BackoffPolicy backoff;
  std::size_t max_queued_alerts = kMaxQueuedAlerts;
  std::size_t max_queued_bytes = kMaxQueuedBytes;
  std::size_t max_alerts_per_post = kMaxAlertsPerPost;
};

struct DeliveryCounters {
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> malformed{0};  // enqueue()d bodies that were not a JSON array
};

class AlertmanagerSender {
 public:
  AlertmanagerSender(boost::asio::io_context& io, AlertmanagerSenderOptions options,
                     core::Clock& clock = core::system_clock());
  ~AlertmanagerSender();
  AlertmanagerSender(const AlertmanagerSender&) = delete;
  AlertmanagerSender& operator=(const AlertmanagerSender&) = delete;

  void start();
  // Stops the workers: waits and requests in flight are cancelled; queued alerts stay queued
  // (and are lost with the sender: alert state lives in the evaluator, which re-sends).
  void stop();
  // True once every started worker has returned (after stop()).
  bool idle() const { return running_workers_ == 0; }

  // Queues `alerts_json` (a JSON array of `alert_count` alerts) for every URL. Returns
  // false (and counts `malformed`) when the body is not a JSON array.
  bool enqueue(std::string alerts_json, std::size_t alert_count);

  const DeliveryCounters& counters() const { return counters_; }
  std::size_t endpoints() const { return endpoints_.size(); }
  // Alerts queued for endpoint `index` (not counting an attempt in flight). Thread safe.
  std::size_t queued_alerts(std::size_t index) const;
  // The full URL alerts are POSTed to, for endpoint `index`.
  const net::Url& endpoint_url(std::size_t index) const;

 private:
  struct Endpoint;
  boost::asio::awaitable<void> deliver(Endpoint& endpoint);

  boost::asio::io_context& io_;
  AlertmanagerSenderOptions options_;
  core::Clock& clock_;
  net::HttpClient client_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  DeliveryCounters counters_;
  std::size_t running_workers_ = 0;
  bool stopping_ = false;
};

}  // namespace logpulse::alert
