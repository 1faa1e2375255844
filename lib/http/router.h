// Router: logpulse's HTTP surface (SPEC.md "HTTP"): /metrics, /-/healthy, /-/ready,
// /api/v1/sources and the status page /. Unknown paths 404, methods other than GET and
// HEAD 405. Reads only thread-safe state (the registry and the status board), so it is safe
// to call from the HTTP thread while ingestion runs.
#pragma once

#include <prometheus/collectable.h>

#include <functional>
#include <memory>
#include <vector>

#include "core/status_board.h"
#include "http/server.h"

namespace logpulse::http {

class Router {
 public:
  // What /metrics exposes, asked per scrape: the daemon may replace a collectable on reload,
  // and the shared_ptr keeps the old one alive until the scrape is done.
  using Collectables = std::function<std::vector<std::shared_ptr<const prometheus::Collectable>>()>;

  Router(Collectables collectables, const core::StatusBoard& board)
      : collectables_(std::move(collectables)), board_(board) {}

  Response handle(const Request& request) const;

 private:
  Response metrics(const Request& request) const;
  Response sources_json() const;
  Response status_page() const;

  Collectables collectables_;
  const core::StatusBoard& board_;
};

}  // namespace logpulse::http
