// Fuzzes the checkpoint reader: tail::decode_checkpoints() on the raw input, and on the
// input made into a well-formed file (header, then the input, then a matching checksum
// trailer) so the fuzzer reaches the entry parser past the checksum. A clean read is then
// restored into the rule metrics of a fixed configuration (what the daemon does at start).
// Invariants: never throws; a failed read returns nothing and says why; a clean read
// survives encode -> decode unchanged; restoring what a restored pipeline saves gives the
// same saved state (metric lines and pending multiline records).
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "config/config_loader.h"
#include "fuzz_check.h"
#include "metrics/exposition.h"
#include "metrics/self_metrics.h"
#include "pipeline/rule_pipeline.h"
#include "tail/checkpoint_store.h"

namespace {

using logpulse::tail::CheckpointEntry;
using logpulse::tail::CheckpointLoad;

constexpr const char* kConfig = R"(
sources:
  - {name: web, paths: [/nonexistent/access.log]}
  - {name: app, paths: [/nonexistent/app.log], multiline: {start: '^\S', timeout: 1s}}
rules:
  - name: access
    source: web
    match: '^(?P<method>[A-Z]+) (?P<status>\d+) (?P<bytes>\d+) (?P<seconds>[0-9.]+)$'
    metrics:
      - {name: http_requests_total, type: counter, labels: [method, status]}
      - {name: http_response_bytes_total, type: counter, value: bytes, labels: [status]}
      - {name: http_last_bytes, type: gauge, value: bytes}
      - {name: http_request_seconds, type: histogram, value: seconds, buckets: [0.1, 0.5, 1]}
      - {name: http_bytes_summary, type: summary, value: bytes}
  - name: errors
    source: app
    match: '^ERROR (?P<code>\w+)'
    metrics:
      - {name: app_errors_total, type: counter, labels: [code]}
)";

struct Fixture {
  logpulse::config::Config config = logpulse::config::load_string(kConfig, "checkpoint_fuzz.yaml");
};

auto as_tuple(const CheckpointEntry& e) {
  return std::tie(e.source, e.identity.device, e.identity.inode, e.identity.fingerprint_length,
                  e.identity.fingerprint, e.offset, e.in_cut_line, e.path);
}

// Saved metric lines with each family's series sorted: a family saves its series in hash
// order, which differs from one store to another.
std::vector<std::string> canonical(std::vector<std::string> lines) {
  auto group = lines.begin();
  for (auto it = lines.begin(); it != lines.end(); ++it) {
    if (it->rfind("m ", 0) == 0) {
      std::sort(group, it);
      group = it + 1;
    }
  }
  std::sort(group, lines.end());
  return lines;
}

void check_read(const CheckpointLoad& load, const Fixture& fixture) {
  if (!load.problem.empty()) {
    FUZZ_CHECK(load.entries.empty() && load.state.metric_lines.empty() && load.state.pending_records.empty(),
               "a failed read returns nothing");
    return;
  }
  const CheckpointLoad again = logpulse::tail::decode_checkpoints(
      logpulse::tail::encode_checkpoints(load.entries, load.state));
  FUZZ_CHECK(again.problem.empty(), "an encoded checkpoint reads cleanly");
  FUZZ_CHECK(again.entries.size() == load.entries.size(), "the same entries after encode and decode");
  for (std::size_t i = 0; i < load.entries.size(); ++i)
    FUZZ_CHECK(as_tuple(again.entries[i]) == as_tuple(load.entries[i]), "the same entries after encode and decode");
  FUZZ_CHECK(again.state.metric_lines == load.state.metric_lines, "the same metric lines after encode and decode");
  FUZZ_CHECK(again.state.pending_records == load.state.pending_records,
             "the same pending records after encode and decode");

  constexpr std::int64_t kNowMs = 1'700'000'000'000;
  prometheus::Registry registry;
  logpulse::metrics::SelfMetrics self_metrics(registry);
  logpulse::pipeline::RulePipeline first(fixture.config, self_metrics);
  first.restore(load.state, kNowMs);
  const auto saved = first.save();
  std::ignore = logpulse::metrics::render_text({&registry, &first.store()});

  logpulse::pipeline::RulePipeline second(fixture.config, self_metrics);
  second.restore(saved, kNowMs);
  const auto saved_again = second.save();
  FUZZ_CHECK(canonical(saved_again.metric_lines) == canonical(saved.metric_lines),
             "restoring saved metrics gives the same metrics");
  FUZZ_CHECK(saved_again.pending_records == saved.pending_records,
             "restoring saved records gives the same records");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static const Fixture fixture;
  const std::string text(reinterpret_cast<const char*>(bytes), size);
  check_read(logpulse::tail::decode_checkpoints(text), fixture);

  std::string body = "logpulse-checkpoint 1\n" + text;
  if (!body.empty() && body.back() != '\n') body += '\n';
  char trailer[48];
  std::snprintf(trailer, sizeof trailer, "end %016" PRIx64 "\n", logpulse::tail::fnv1a(body.data(), body.size()));
  check_read(logpulse::tail::decode_checkpoints(body + trailer), fixture);
  return 0;
}
