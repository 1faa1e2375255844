// Shell-style path globs (`*`, `?`, `[...]`, as glob(3)/fnmatch(3) read them).
// Pure functions, safe for concurrent use.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logpulse::core {

// Why `pattern` is not a usable glob (empty, unclosed '[', empty "[]", NUL byte), or nullopt.
std::optional<std::string> glob_error(std::string_view pattern);

bool has_glob_chars(std::string_view text);

// The paths currently matching `pattern` (sorted, may be empty; errors read as no match).
std::vector<std::string> expand_glob(const std::string& pattern);

// True when `path` is excluded by one of `excludes`: a pattern containing '/' is matched
// against the whole path, otherwise against the base name.
bool is_excluded(std::string_view path, const std::vector<std::string>& excludes);

// The deepest directory of `pattern` that has no glob characters ("/var/log" for
// "/var/log/*/x.log"; "." for a relative pattern without a directory).
std::string literal_directory(std::string_view pattern);

}  // namespace logpulse::core
