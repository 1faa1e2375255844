#include "alert/definition_error.h"

namespace logpulse::alert {

std::string locate(const ScalarPosition& at, std::string_view value, std::size_t index) {
  int line = at.line;
  int column = at.column + (at.style == ScalarStyle::kPlain ? 0 : 1);
  const int first_column = column;
  for (std::size_t i = 0; i < index && i < value.size(); ++i) {
    if (value[i] == '\n') {
      ++line;
      column = first_column;
    } else {
      ++column;
    }
  }
  if (index > value.size()) column += static_cast<int>(index - value.size());
  std::string out;
  out.reserve(at.file.size() + 24);
  out.append(at.file).append(":").append(std::to_string(line)).append(":").append(std::to_string(column));
  return out;
}

namespace {
std::string located(const ScalarPosition& at, std::string_view value, std::size_t index, std::string_view message) {
  std::string out = locate(at, value, index);
  out.append(": ").append(message);
  return out;
}
}  // namespace

DefinitionError::DefinitionError(const ScalarPosition& at, std::string_view value, std::size_t index,
                                 std::string_view message)
    : std::runtime_error(located(at, value, index, message)) {}

}  // namespace logpulse::alert
