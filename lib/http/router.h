// Router: logpulse's HTTP surface (SPEC.md "HTTP"): /metrics, /-/healthy, /-/ready,
// /api/v1/sources and the status page /. Unknown paths 404, methods other than GET and
// HEAD 405. Reads only thread-safe state (the registry and the status board), so it is safe
// to call from the HTTP thread while ingestion runs.
#pragma once

#include <prometheus/registry.h>

#include "http/server.h"
#include "pipeline/status_board.h"

namespace logpulse::http {

class Router {
 public:
  Router(const prometheus::Registry& registry, const pipeline::StatusBoard& board)
      : registry_(registry), board_(board) {}

  Response handle(const Request& request) const;

 private:
  Response metrics(const Request& request) const;
  Response sources_json() const;
  Response status_page() const;

  const prometheus::Registry& registry_;
  const pipeline::StatusBoard& board_;
};

}  // namespace logpulse::http
