// Where a YAML scalar sits in its file, and the error an alert definition raises when part
// of it is wrong. Control plane only. Pure values and functions; safe for concurrent use.
//
//   ScalarPosition at{"logpulse.yaml", 42, 11, ScalarStyle::kDoubleQuoted};
//   throw DefinitionError(at, 7, "expected a number");   // "logpulse.yaml:42:19: expected ..."
//
// The line and column of character i of the scalar's value are computed from the scalar's
// start mark (1-based, as config error messages print them): a plain scalar's first
// character is at the mark, a quoted scalar's one column later (after the quote). This is
// exact when the value holds no escape sequences and no line breaks. After an escape
// (`\"`, `\n`, `''` ...) the column is to the left of the real one by the extra source
// characters the escapes took; after a line break in the value (block scalars) the line
// counts the breaks and the column restarts at the scalar's start column.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace logpulse::alert {

enum class ScalarStyle { kPlain, kSingleQuoted, kDoubleQuoted };

struct ScalarPosition {
  std::string file;
  int line = 1;    // 1-based, of the scalar's first source character (a quote if quoted)
  int column = 1;  // 1-based
  ScalarStyle style = ScalarStyle::kPlain;
};

// "FILE:LINE:COLUMN" of character `index` of `value`, the scalar's text at `at`.
std::string locate(const ScalarPosition& at, std::string_view value, std::size_t index);

// A mistake in an alert definition. what() is "FILE:LINE:COLUMN: message", like
// config::ConfigError, so the loader can rethrow it as one or let it through.
class DefinitionError : public std::runtime_error {
 public:
  DefinitionError(const ScalarPosition& at, std::string_view value, std::size_t index, std::string_view message);
};

}  // namespace logpulse::alert
