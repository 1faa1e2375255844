#include "alert/alertmanager_sender.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace logpulse::alert {

namespace asio = boost::asio;

struct AlertmanagerSender::Endpoint {
  Endpoint(asio::io_context& io, net::Url target, const AlertmanagerSenderOptions& options, std::uint64_t seed)
      : url(std::move(target)),
        queue(options.max_queued_alerts, options.max_queued_bytes),
        wake(io),
        retry(io),
        backoff(options.backoff, seed) {}

  net::Url url;
  mutable std::mutex mutex;  // guards queue and wake_posted
  AlertQueue queue;
  bool wake_posted = false;
  std::atomic<std::size_t> queued_alerts{0};
  asio::steady_timer wake;   // the worker waits on it while the queue is empty
  asio::steady_timer retry;  // and on this one between attempts
  net::Backoff backoff;
  core::LogThrottle failure_log{kFailureLogInterval};
  unsigned consecutive_failures = 0;
};

namespace {
net::Url alerts_url(const net::Url& base) {
  std::string prefix = base.target();
  if (const auto query = prefix.find('?'); query != std::string::npos) prefix.resize(query);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  prefix.append(kAlertsPath);
  return base.with_target(std::move(prefix));
}

bool looks_like_array(std::string_view json) {
  const auto first = json.find_first_not_of(" \t\r\n");
  const auto last = json.find_last_not_of(" \t\r\n");
  return first != std::string_view::npos && json[first] == '[' && json[last] == ']';
}

bool retryable(const net::HttpResult& result) {
  return result.error || result.status == 429 || result.status >= 500 || result.status < 200;
}
}  // namespace

AlertmanagerSender::AlertmanagerSender(asio::io_context& io, AlertmanagerSenderOptions options, core::Clock& clock)
    : io_(io), options_(std::move(options)), clock_(clock), client_(io.get_executor(), clock) {
  std::uint64_t seed = static_cast<std::uint64_t>(clock_.steady().time_since_epoch().count());
  for (const auto& url : options_.urls)
    endpoints_.push_back(std::make_unique<Endpoint>(io_, alerts_url(url), options_, seed++));
}

AlertmanagerSender::~AlertmanagerSender() = default;

void AlertmanagerSender::start() {
  stopping_ = false;
  for (auto& endpoint : endpoints_) {
    ++running_workers_;
    asio::co_spawn(io_, deliver(*endpoint), asio::detached);
  }
}

void AlertmanagerSender::stop() {
  stopping_ = true;
  for (auto& endpoint : endpoints_) {
    endpoint->wake.cancel();
    endpoint->retry.cancel();
  }
  client_.shutdown();
}

bool AlertmanagerSender::enqueue(std::string alerts_json, std::size_t alert_count) {
  if (!looks_like_array(alerts_json)) {
    counters_.malformed.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    auto& endpoint = *endpoints_[i];
    // The last endpoint takes the string; the others copy it.
    AlertBatch batch{i + 1 == endpoints_.size() ? std::move(alerts_json) : alerts_json, alert_count};
    bool post_wake = false;
    {
      std::lock_guard lock(endpoint.mutex);
      if (const auto dropped = endpoint.queue.push(std::move(batch)))
        counters_.dropped.fetch_add(dropped, std::memory_order_relaxed);
      endpoint.queued_alerts = endpoint.queue.alerts();
      post_wake = !endpoint.wake_posted;
      endpoint.wake_posted = true;
    }
    // At most one wake-up in the io_context's queue per endpoint, however fast alerts come.
    if (post_wake)
      asio::post(io_, [&endpoint] {
        {
          std::lock_guard lock(endpoint.mutex);
          endpoint.wake_posted = false;
        }
        endpoint.wake.cancel();
      });
  }
  return true;
}

std::size_t AlertmanagerSender::queued_alerts(std::size_t index) const {
  return endpoints_.at(index)->queued_alerts.load();
}

const net::Url& AlertmanagerSender::endpoint_url(std::size_t index) const { return endpoints_.at(index)->url; }

asio::awaitable<void> AlertmanagerSender::deliver(Endpoint& endpoint) {
  struct Finished {
    std::size_t& running;
    ~Finished() { --running; }
  } finished{running_workers_};

  while (!stopping_) {
    std::vector<AlertBatch> batches;
    {
      std::lock_guard lock(endpoint.mutex);
      batches = endpoint.queue.take(options_.max_alerts_per_post);
      endpoint.queued_alerts = endpoint.queue.alerts();
    }
    if (batches.empty()) {
      // enqueue() cancels this wait. No suspension between the check above and this wait,
      // and the cancel runs on this thread, so a wake-up cannot fall in between.
      endpoint.wake.expires_at(asio::steady_timer::time_point::max());
      co_await endpoint.wake.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }

    std::size_t alerts = 0;
    for (const auto& batch : batches) alerts += batch.alerts;
    auto result = co_await client_.post(endpoint.url, join_json_arrays(batches), options_.request);

    if (result.ok()) {
      counters_.sent.fetch_add(alerts, std::memory_order_relaxed);
      if (endpoint.consecutive_failures > 0)
        spdlog::info("alertmanager {}: delivering again after {} failed attempts", endpoint.url.str(),
                     endpoint.consecutive_failures);
      endpoint.consecutive_failures = 0;
      endpoint.backoff.reset();
      continue;
    }
    if (stopping_) {  // aborted by stop(): not a failure of the Alertmanager
      std::lock_guard lock(endpoint.mutex);
      endpoint.queue.put_back(std::move(batches));  // still queued, as the header says
      endpoint.queued_alerts = endpoint.queue.alerts();
      break;
    }
    counters_.failed.fetch_add(alerts, std::memory_order_relaxed);
    ++endpoint.consecutive_failures;

    if (!retryable(result)) {
      counters_.rejected.fetch_add(alerts, std::memory_order_relaxed);
      if (endpoint.failure_log.allow("rejected"))
        spdlog::error("alertmanager {} rejected {} alerts ({}): {}; not retried (logged once a minute)",
                      endpoint.url.str(), alerts, result.describe(), result.body.substr(0, 200));
      endpoint.backoff.reset();
      continue;
    }

    {
      std::lock_guard lock(endpoint.mutex);
      if (const auto dropped = endpoint.queue.put_back(std::move(batches)))
        counters_.dropped.fetch_add(dropped, std::memory_order_relaxed);
      endpoint.queued_alerts = endpoint.queue.alerts();
    }
    const auto delay = endpoint.backoff.next_delay(result.retry_after);
    if (endpoint.failure_log.allow("failed"))
      spdlog::warn("alertmanager {}: sending {} alerts failed ({}); retrying in {} ms (logged once a minute)",
                   endpoint.url.str(), alerts, result.describe(), delay.count());
    endpoint.retry.expires_after(delay);
    co_await endpoint.retry.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace logpulse::alert
