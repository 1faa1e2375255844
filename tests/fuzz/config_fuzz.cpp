// Fuzzes configuration loading as `logpulse --check` does it: YAML text -> config loader ->
// rule compilation (pattern expansion, RE2, metric families).
// Invariants: the only exception is config::ConfigError, and its message starts with
// "FILE:LINE:COL: " (the contract for every configuration error); no crash, hang or leak.
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "config/config_loader.h"
#include "fuzz_check.h"
#include "metrics/self_metrics.h"
#include "pipeline/rule_pipeline.h"

namespace {

constexpr std::string_view kName = "fuzz.yaml";

// "fuzz.yaml:12:5: ..." (line and column are numbers).
bool names_position(std::string_view message) {
  if (message.substr(0, kName.size() + 1) != "fuzz.yaml:") return false;
  std::size_t at = kName.size() + 1;
  for (int number = 0; number < 2; ++number) {
    const std::size_t digits_from = at;
    while (at < message.size() && std::isdigit(static_cast<unsigned char>(message[at]))) ++at;
    if (at == digits_from || at >= message.size() || message[at] != ':') return false;
    ++at;
  }
  return message.substr(at, 1) == " ";
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(bytes), size);
  try {
    const auto config = logpulse::config::load_string(text, std::string(kName));
    prometheus::Registry registry;
    logpulse::metrics::SelfMetrics self_metrics(registry);
    logpulse::pipeline::RulePipeline rules(config, self_metrics);
  } catch (const logpulse::config::ConfigError& e) {
    if (!names_position(e.what())) std::fprintf(stderr, "configuration error: %s\n", e.what());
    FUZZ_CHECK(names_position(e.what()), "a configuration error starts with FILE:LINE:COL: ");
  }
  return 0;
}
