// Escaping for the text the HTTP side renders: JSON string bodies and HTML text.
// Invalid UTF-8 bytes become U+FFFD so the output is always valid. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace logpulse::core {

// `text` as the inside of a JSON string (no surrounding quotes).
std::string json_escape(std::string_view text);
std::string html_escape(std::string_view text);
// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string repair_utf8(std::string_view text);
// Same into `out` (cleared first; its capacity is reused, so no allocation once warm).
void repair_utf8_into(std::string_view text, std::string& out);
// True when `text` is valid UTF-8. ASCII runs are checked eight bytes at a time.
bool is_valid_utf8(std::string_view text);

}  // namespace logpulse::core
