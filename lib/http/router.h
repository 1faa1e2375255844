// Router: logpulse's HTTP surface (SPEC.md "HTTP"): /metrics, /-/healthy, /-/ready,
// /api/v1/sources, /api/v1/alerts and the status page / (http/status_page.h). Unknown paths
// 404, methods other than GET and HEAD 405. The lifecycle endpoints POST (or PUT) /-/reload
// and /-/quit answer as Prometheus' do: 403 unless enabled (--web.enable-lifecycle), 405 for
// other methods. Reads only thread-safe state (the registry, the status and analytics
// boards) and calls the Lifecycle functions, which must be thread safe, so it is safe to
// call from the HTTP thread while ingestion runs.
#pragma once

#include <prometheus/collectable.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/server.h"
#include "pipeline/analytics_board.h"
#include "pipeline/status_board.h"

namespace logpulse::http {

// What the lifecycle endpoints do, given by the daemon.
struct Lifecycle {
  bool enabled = false;
  // Reloads the configuration as SIGHUP does and returns once the new one runs ("") or was
  // refused (the reason). Blocks the calling (HTTP) thread, never the ingestion thread.
  std::function<std::string()> reload;
  // Starts the shutdown SIGTERM starts (checkpoint, exit 0) and returns at once.
  std::function<void()> quit;
};

class Router {
 public:
  // What /metrics exposes, asked per scrape: the daemon may replace a collectable on reload,
  // and the shared_ptr keeps the old one alive until the scrape is done.
  using Collectables = std::function<std::vector<std::shared_ptr<const prometheus::Collectable>>()>;

  // `analytics`: windows and alerts (GET /api/v1/alerts, the status page); may be null.
  Router(Collectables collectables, const pipeline::StatusBoard& board, Lifecycle lifecycle = {},
         const pipeline::AnalyticsBoard* analytics = nullptr)
      : collectables_(std::move(collectables)), board_(board), lifecycle_(std::move(lifecycle)), analytics_(analytics) {}

  Response handle(const Request& request) const;

 private:
  Response metrics(const Request& request) const;
  Response sources_json() const;
  Response status_page() const;
  Response lifecycle(std::string_view path, const Request& request) const;

  Collectables collectables_;
  const pipeline::StatusBoard& board_;
  Lifecycle lifecycle_;
  const pipeline::AnalyticsBoard* analytics_;
};

}  // namespace logpulse::http
