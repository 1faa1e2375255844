// Fuzzes match::JsonFields (the captures of a `format: json` source) with arbitrary lines.
// Invariants: parse() never throws; on failure fields() is empty and error() says why; on
// success names and values are valid UTF-8, find() returns the first field of a name, and
// parsing the same line again (after another one, reusing the buffers) gives the same fields.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/text_escape.h"
#include "fuzz_check.h"
#include "match/json_fields.h"

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs pairs_of(const logpulse::match::JsonFields& json) {
  Pairs out;
  for (const auto& field : json.fields()) out.emplace_back(field.name, field.value);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(bytes), size);
  logpulse::match::JsonFields json;
  if (!json.parse(line)) {
    FUZZ_CHECK(json.fields().empty(), "no fields after a failed parse");
    FUZZ_CHECK(json.error()[0] != '\0', "a failed parse says why");
    return 0;
  }
  FUZZ_CHECK(json.error()[0] == '\0', "no error after a successful parse");
  const Pairs first = pairs_of(json);
  for (std::size_t i = 0; i < first.size(); ++i) {
    const auto& [name, value] = first[i];
    FUZZ_CHECK(logpulse::core::is_valid_utf8(name), "field names are valid UTF-8");
    FUZZ_CHECK(logpulse::core::is_valid_utf8(value), "field values are valid UTF-8");
    bool earlier = false;
    for (std::size_t j = 0; j < i && !earlier; ++j) earlier = first[j].first == name;
    if (!earlier) FUZZ_CHECK(json.find(name) == value, "find() returns the first field of a name");
  }
  const std::string other = R"({"a":{"b":[1,"x",{"c":null}]},"s":"\u00e9\n"})";
  FUZZ_CHECK(json.parse(other), "a valid object parses");
  FUZZ_CHECK(json.parse(line), "the same line parses again");
  FUZZ_CHECK(pairs_of(json) == first, "the same fields after the buffers were reused");
  return 0;
}
