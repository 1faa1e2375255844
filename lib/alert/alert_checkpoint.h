// The alerts' section of the pipeline checkpoint: one text line per alert (no newlines
// inside), so that a restart neither re-pages (lastSentAt survives) nor restarts a `for`
// (activeAt survives). Line form, space-separated core::encode_token fields:
//   v1 RULE STATE ACTIVE_NS FIRED_NS RESOLVED_NS SENT_NS KEEP_FIRING_SINCE_NS VALID_UNTIL_NS
//      VALUE N (LABEL VALUE)*N M (ANNOTATION TEXT)*M
// times as nanoseconds since the epoch (0: not set), VALUE as the shortest exact decimal.
// Pure functions; decode never throws: a malformed line is skipped and reported in
// `problem`.
#pragma once

#include <string>
#include <vector>

#include "alert/evaluator.h"

namespace logpulse::alert {

std::vector<std::string> encode_alert_checkpoint(const std::vector<SavedAlert>& alerts);

struct AlertCheckpointLoad {
  std::vector<SavedAlert> alerts;
  std::string problem;  // empty when every line was read
};

AlertCheckpointLoad decode_alert_checkpoint(const std::vector<std::string>& lines);

}  // namespace logpulse::alert
