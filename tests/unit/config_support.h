// Shared by the configuration unit tests: YAML text with one source, loaded, and the
// message of the ConfigError it raises. Header-only; nothing is kept between calls.
#pragma once

#include <string>

#include "config/config_loader.h"

namespace config_test {

// One source, for tests of the keys that need one; its YAML ends with a newline.
inline const char* kSources = "sources:\n  - {name: app, paths: [/tmp/x.log]}\n";

// The ConfigError's message when kSources + yaml (file name test.yaml) is refused, "" when
// it loads.
inline std::string error_of(const std::string& yaml) {
  try {
    logpulse::config::load_string(kSources + yaml, "test.yaml");
  } catch (const logpulse::config::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace config_test
