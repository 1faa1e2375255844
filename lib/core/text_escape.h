// Escaping: JSON string bodies and HTML text for the HTTP side, tokens for state files.
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
// A field of a space-separated state file: bytes <= ' ', '%' and >= 0x7f as %XX; the empty
// string as a lone "%". decode_token() returns false for a malformed token.
std::string encode_token(std::string_view text);
bool decode_token(std::string_view token, std::string& out);
// True when `text` is valid UTF-8. ASCII runs are checked eight bytes at a time.
bool is_valid_utf8(std::string_view text);

}  // namespace logpulse::core
