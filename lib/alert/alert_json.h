// The JSON that leaves logpulse about alerts, in the shapes the outside world reads:
//   - api_alerts_json(): the body of GET /api/v1/alerts, Prometheus' shape:
//     {"status":"success","data":{"alerts":[{"labels":{..},"annotations":{..},
//      "state":"firing","activeAt":"2026-01-01T00:00:00Z","value":"6e+00"}]}}
//     ("keepFiringSince" after "activeAt" while keep_firing_for holds it; value as Go's
//     FormatFloat(v, 'e', -1, 64); times RFC 3339 with nanoseconds, as Go marshals them);
//   - alertmanager_body(): the body of POST /api/v2/alerts, an array of
//     {"labels","annotations","startsAt","endsAt","generatorURL"} with millisecond times.
// Keys are sorted, strings escaped and made valid UTF-8. Pure functions, safe concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "alert/rule_state.h"

namespace logpulse::alert {

// `alerts` as returned by Evaluator::active_alerts() (pending and firing).
std::string api_alerts_json(const std::vector<Alert>& alerts);

// `generator_url` is the same for every alert (logpulse's status page, say); empty: omitted.
std::string alertmanager_body(const std::vector<Notification>& notifications, std::string_view generator_url);

}  // namespace logpulse::alert
