// The named sub-pattern library behind `%{NAME}` and `%{NAME:capture}` in rule `match`
// expressions: the bundled grok-style patterns (rewritten for RE2) and their expansion.
// Control plane only: expansion runs once when rules are compiled, and its errors are
// exceptions. Everything here is immutable or pure, so safe for concurrent use.
//
//   auto regex = expand_patterns(R"(^%{IP:client} %{GREEDYDATA:rest}$)", config.patterns);
//   re2::RE2 re(regex);   // (?P<client>(?:...)) (?P<rest>(?:.*))
//
// docs/patterns.md lists every bundled pattern, an example of what it matches, and the
// named captures of the composite ones (COMMONAPACHELOG, COMBINEDAPACHELOG, NGINXACCESS,
// SYSLOGLINE); no other bundled pattern creates a named capture.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace logpulse::match {

// The bundled named sub-patterns (RE2 syntax), usable as %{NAME} / %{NAME:capture}.
// A bundled pattern may reference others with %{OTHER}. Immutable; safe for concurrent use.
const std::map<std::string, std::string, std::less<>>& bundled_patterns();

// Limits of expand_patterns(): how deep %{NAME} may nest within named patterns, and how long
// an expansion may grow (RE2 with its default memory budget refuses far less than this).
inline constexpr std::size_t kMaxPatternDepth = 100;
inline constexpr std::size_t kMaxExpandedPatternBytes = 1u << 20;

// Why a pattern could not be expanded; the message names the offending reference.
class PatternError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Expands every %{NAME} (a non-capturing group (?:...)) and %{NAME:capture} (a named group
// (?P<capture>...)) in `pattern`, recursively, looking NAME up first in `user_patterns`
// (which may override a bundled one, also where another bundled pattern refers to it),
// then in bundled_patterns(). Throws PatternError with a clear message for an unknown name,
// a reference cycle (naming the chain), a bad capture name (must be [A-Za-z_][A-Za-z0-9_]*),
// an unterminated %{, a capture name used twice in the result (which this RE2 would
// accept and then report only one of), references nested deeper than kMaxPatternDepth, or
// an expansion longer than kMaxExpandedPatternBytes (refused as soon as it would pass it). Inside a bundled or user
// pattern, %{NAME:capture} also makes a named group.
//
// Text outside %{...} is kept as is, and so is regex syntax that merely looks like a
// reference: an escaped `\%{`, `%{` inside a character class or a `\Q...\E` quote, and a
// repetition of a literal percent sign such as `%{2}` or `%{1,3}`.
std::string expand_patterns(std::string_view pattern,
                            const std::map<std::string, std::string, std::less<>>& user_patterns);

}  // namespace logpulse::match
