// Fuzzes %{NAME} / %{NAME:capture} expansion (match::expand_patterns) with user patterns.
// Input: up to 4 user patterns (name, pattern), then the rule's match expression.
// Invariants: the only exception is PatternError; an expansion without references is the
// pattern itself; a result RE2 accepts has no capture name twice (expand_patterns refuses
// duplicates); no crash, hang or unbounded memory.
#include <fuzzer/FuzzedDataProvider.h>
#include <re2/re2.h>

#include <map>
#include <string>

#include "fuzz_check.h"
#include "match/pattern_library.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider input(bytes, size);
  std::map<std::string, std::string, std::less<>> user;
  for (std::size_t n = input.ConsumeIntegralInRange<std::size_t>(0, 4); n > 0; --n) {
    std::string name = input.ConsumeRandomLengthString(16);
    user[std::move(name)] = input.ConsumeRandomLengthString(128);
  }
  const std::string pattern = input.ConsumeRemainingBytesAsString();
  std::string expanded;
  try {
    expanded = logpulse::match::expand_patterns(pattern, user);
  } catch (const logpulse::match::PatternError&) {
    return 0;
  }
  if (pattern.find('%') == std::string::npos)
    FUZZ_CHECK(expanded == pattern, "text without %{ is kept as is");

  re2::RE2::Options options;
  options.set_log_errors(false);
  re2::RE2 regex(expanded, options);
  if (regex.ok()) {
    // RE2 keeps one index per name: a name used twice would show fewer names than groups
    // carrying one. Count the named groups by asking RE2 about each group index.
    const auto& names = regex.CapturingGroupNames();  // index -> name, one per named group
    std::map<std::string, int> seen;
    for (const auto& [index, name] : names) ++seen[name];
    for (const auto& [name, count] : seen) FUZZ_CHECK(count == 1, "no capture name twice");
  }
  return 0;
}
