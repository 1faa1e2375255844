// Loads and validates a YAML configuration file into config::Config.
// Control plane only: every problem throws ConfigError whose message starts with
// "FILE:LINE:COL: " (1-based; "FILE: " alone when FILE is a directory) and says what was
// expected; files over 16 MiB are refused. Safe for concurrent use (no shared state).
#pragma once

#include <stdexcept>
#include <string>

#include "config/config.h"

namespace logpulse::config {

class ConfigError : public std::runtime_error {
 public:
  // Control bytes in `message` (a NUL or an escape sequence quoted from the file) are shown
  // escaped (\0, \n, \x1b), so what() is the whole message, on one line; past 1000 bytes
  // (a huge value quoted back) it is cut, saying how much was left out.
  explicit ConfigError(const std::string& message);
};

Config load_file(const std::string& path);
// `name` is used in messages as the file name.
Config load_string(const std::string& yaml_text, const std::string& name);

}  // namespace logpulse::config
