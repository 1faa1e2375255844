// RemoteWriteService: Prometheus remote write for the whole daemon. Every write_interval it
// takes one sample of every series logpulse exposes (Collect() on the collectables /metrics
// serves), stamps them with the time taken (ms) and the receiver's external labels, and
// queues them for that receiver (remote/write_endpoint.h delivers them). With a state
// directory each receiver's queue is also kept on disk, in
// <state_dir>/remote_write/<hash of the URL>/, and what a previous run left there is sent
// first. An https receiver gets its own TLS context (tls/client_tls.h) from its tls_config:
// a certificate, key or CA file that cannot be used makes the constructor throw
// config::ConfigError naming config_file's line and column of the key; one that changes
// later is re-read before the next connection.
//
//   RemoteWriteService service(config.remote_write, config.state_dir, config.file,
//                              [&] { return collectables(); }, registry);   // ConfigError
//   service.start();   // its own thread and io_context
//   ...
//   service.stop();    // pending samples stay on disk for the next run
//
// Threads: sampling, encoding and sending run on the service's own thread and io_context, so
// neither ingestion nor /metrics ever waits for a receiver; `collect` is called on that
// thread (the collectables are safe for concurrent Collect()). start() and stop() are called
// from one (any) thread. The registry and `collect`'s targets outlive the service.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "net/http_client.h"
#include "remote/write_endpoint.h"
#include "tls/client_tls.h"

namespace logpulse::remote {

using CollectFunction = std::function<std::vector<std::shared_ptr<const prometheus::Collectable>>()>;

class RemoteWriteService {
 public:
  // `state_dir` empty: queues in memory only. `config_file`: for messages about TLS files.
  RemoteWriteService(std::vector<config::RemoteWriteConfig> receivers, std::string state_dir,
                     const std::string& config_file, CollectFunction collect, prometheus::Registry& registry,
                     core::Clock& clock = core::system_clock());
  ~RemoteWriteService();
  RemoteWriteService(const RemoteWriteService&) = delete;
  RemoteWriteService& operator=(const RemoteWriteService&) = delete;

  void start();
  // Stops sampling and sending (a request in flight is aborted; its batch stays queued) and
  // joins the thread.
  void stop();

  const std::vector<config::RemoteWriteConfig>& receivers() const { return receivers_; }

  // <state_dir>/remote_write/<16 hex digits of the URL's hash>: one receiver's segments.
  static std::string segment_dir(const std::string& state_dir, const net::Url& url);

 private:
  boost::asio::awaitable<void> sample(std::size_t index);

  std::vector<config::RemoteWriteConfig> receivers_;
  std::string state_dir_;
  CollectFunction collect_;
  core::Clock& clock_;
  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::unique_ptr<tls::ClientTls>> tls_;  // by receiver; null for http (declared before
                                                       // the client and endpoints that use them)
  net::HttpClient client_;
  std::vector<std::unique_ptr<WriteEndpoint>> endpoints_;
  std::thread thread_;
  bool stopping_ = false;  // on the service's thread
};

}  // namespace logpulse::remote
