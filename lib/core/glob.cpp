#include "core/glob.h"

#include <fnmatch.h>
#include <glob.h>

#include <algorithm>

namespace logpulse::core {

std::optional<std::string> glob_error(std::string_view pattern) {
  if (pattern.empty()) return "empty glob";
  if (pattern.find('\0') != std::string_view::npos) return "glob contains a NUL byte";
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c != '[') continue;
    std::size_t j = i + 1;
    if (j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^')) ++j;
    if (j < pattern.size() && pattern[j] == ']') ++j;  // a leading ']' is a member
    while (j < pattern.size() && pattern[j] != ']') {
      if (pattern[j] == '/') return "'[' at column " + std::to_string(i + 1) + " spans a '/'";
      ++j;
    }
    if (j >= pattern.size()) return "unclosed '[' at column " + std::to_string(i + 1);
    i = j;
  }
  return std::nullopt;
}

bool has_glob_chars(std::string_view text) { return text.find_first_of("*?[") != std::string_view::npos; }

std::vector<std::string> expand_glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t result{};
  int rc = ::glob(pattern.c_str(), GLOB_NOSORT | GLOB_BRACE, nullptr, &result);
  if (rc == 0) {
    out.reserve(result.gl_pathc);
    for (std::size_t i = 0; i < result.gl_pathc; ++i) out.emplace_back(result.gl_pathv[i]);
  }
  ::globfree(&result);
  if (out.empty() && !has_glob_chars(pattern)) {
    // glob(3) returns a literal path only when it exists; callers stat it anyway.
    return out;
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_excluded(std::string_view path, const std::vector<std::string>& excludes) {
  if (excludes.empty()) return false;
  std::string whole(path);
  auto slash = path.rfind('/');
  std::string base(slash == std::string_view::npos ? path : path.substr(slash + 1));
  for (const auto& pattern : excludes) {
    const std::string& subject = pattern.find('/') != std::string::npos ? whole : base;
    if (::fnmatch(pattern.c_str(), subject.c_str(), FNM_PERIOD) == 0) return true;
  }
  return false;
}

std::string literal_directory(std::string_view pattern) {
  std::size_t glob_at = pattern.find_first_of("*?[");
  std::string_view head = glob_at == std::string_view::npos ? pattern : pattern.substr(0, glob_at);
  auto slash = head.rfind('/');
  if (glob_at == std::string_view::npos) slash = pattern.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(pattern.substr(0, slash));
}

}  // namespace logpulse::core
