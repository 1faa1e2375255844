#include "remote/remote_write_service.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <cinttypes>
#include <cstdio>
#include <future>

#include "remote/series_snapshot.h"

namespace logpulse::remote {

namespace asio = boost::asio;

RemoteWriteService::RemoteWriteService(std::vector<config::RemoteWriteConfig> receivers, std::string state_dir,
                                       const std::string& config_file, CollectFunction collect,
                                       prometheus::Registry& registry, core::Clock& clock)
    : receivers_(std::move(receivers)),
      state_dir_(std::move(state_dir)),
      collect_(std::move(collect)),
      clock_(clock),
      client_(io_.get_executor(), clock) {
  // Every TLS context first: a file that cannot be used refuses the whole service before any
  // receiver's metrics are registered.
  std::vector<std::unique_ptr<tls::ClientTls>> contexts;
  for (const auto& receiver : receivers_) {
    const bool https = receiver.url.rfind("https://", 0) == 0;
    contexts.push_back(https ? std::make_unique<tls::ClientTls>(receiver.tls, config_file) : nullptr);
  }
  for (std::size_t i = 0; i < receivers_.size(); ++i) {
    const auto& receiver = receivers_[i];
    auto url = net::Url::parse(receiver.url);
    if (!url) throw std::invalid_argument("remote_write.url: " + url.error());  // the loader checked it
    EndpointOptions options{.url = *url};
    options.request.tls = contexts[i].get();
    options.request.connect_timeout = std::min(receiver.remote_timeout, net::kDefaultConnectTimeout);
    options.request.exchange_timeout = receiver.remote_timeout;
    options.request.headers = receiver.headers;
    if (receiver.basic_auth) options.request.basic_auth = net::BasicAuth{receiver.username, receiver.password};
    options.password_file = receiver.password_file;
    options.bearer_token_file = receiver.bearer_token_file;
    options.max_samples = receiver.max_samples;
    options.max_bytes = receiver.max_bytes;
    if (!state_dir_.empty()) options.segment_dir = segment_dir(state_dir_, *url);
    endpoints_.push_back(std::make_unique<WriteEndpoint>(io_.get_executor(), client_, std::move(options),
                                                         endpoint_metrics(registry, url->str()), clock_));
  }
  tls_ = std::move(contexts);
}

RemoteWriteService::~RemoteWriteService() { stop(); }

std::string RemoteWriteService::segment_dir(const std::string& state_dir, const net::Url& url) {
  std::uint64_t hash = 1469598103934665603ull;  // FNV-1a: stable across runs and builds
  for (unsigned char c : url.str()) hash = (hash ^ c) * 1099511628211ull;
  char id[17];
  std::snprintf(id, sizeof id, "%016" PRIx64, hash);
  return state_dir + "/remote_write/" + id;
}

void RemoteWriteService::start() {
  if (thread_.joinable()) return;
  work_.emplace(io_.get_executor());
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    endpoints_[i]->load();
    asio::co_spawn(io_, endpoints_[i]->run(), asio::detached);
    asio::co_spawn(io_, sample(i), asio::detached);
  }
  thread_ = std::thread([this] {
    try {
      io_.run();
    } catch (const std::exception& e) {
      spdlog::error("remote write stopped: {}", e.what());
    }
  });
}

void RemoteWriteService::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    stopping_ = true;
    for (auto& endpoint : endpoints_) endpoint->stop();
    client_.shutdown();
  });
  work_.reset();  // run() returns once the workers and samplers have
  thread_.join();
}

asio::awaitable<void> RemoteWriteService::sample(std::size_t index) {
  const auto& receiver = receivers_[index];
  WriteEndpoint& endpoint = *endpoints_[index];
  asio::steady_timer timer(io_);
  auto next = std::chrono::steady_clock::now() + receiver.write_interval;
  while (!stopping_) {
    // Wakes at least every 250 ms so that stop() is not kept waiting by a long interval.
    timer.expires_at(std::min(next, std::chrono::steady_clock::now() + std::chrono::milliseconds(250)));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (stopping_) break;
    if (std::chrono::steady_clock::now() < next) continue;
    next += receiver.write_interval;
    if (next < std::chrono::steady_clock::now()) next = std::chrono::steady_clock::now() + receiver.write_interval;

    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.wall().time_since_epoch()).count();
    std::vector<Series> snapshot;
    for (const auto& collectable : collect_()) append_series(snapshot, collectable->Collect(), receiver.external_labels, now_ms);
    endpoint.push(std::move(snapshot));
  }
}

}  // namespace logpulse::remote
