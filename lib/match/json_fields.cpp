#include "match/json_fields.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

namespace logpulse::match {

namespace {

namespace ondemand = simdjson::ondemand;

constexpr std::size_t kInitialLineCapacity = 4096;
constexpr std::size_t kInitialNameBytes = 4096;
constexpr std::size_t kInitialFields = 64;

bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// On Demand does not check a number it is not asked to convert, and converting would refuse
// integers beyond 64 bits, which are valid JSON; so the raw token is checked here against
// the JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto digits = [&] {
    const std::size_t start = i;
    while (i < n && is_digit(s[i])) ++i;
    return i > start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

std::string_view trim_trailing_whitespace(std::string_view s) {
  while (!s.empty() && is_json_whitespace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

struct JsonFields::State {
  ondemand::parser parser;
  std::vector<char> input;  // the line, then SIMDJSON_PADDING zero bytes
  std::string path;         // name of the value being visited, e.g. "http.status"
  // Flattened names back to back; fields refer to them by offset while `names` may still
  // grow, and get their views once the walk is over.
  std::string names;
  std::vector<std::pair<std::size_t, std::size_t>> name_spans;  // offset, size in `names`
  std::vector<JsonField> fields;
  const char* error_at = nullptr;  // set by checks done here, which know where they failed
  std::array<char, 200> error{};

  State() {
    input.resize(kInitialLineCapacity + simdjson::SIMDJSON_PADDING);
    path.reserve(256);
    names.reserve(kInitialNameBytes);
    name_spans.reserve(kInitialFields);
    fields.reserve(kInitialFields);
  }

  void add(std::string_view value) {
    name_spans.emplace_back(names.size(), path.size());
    names.append(path);
    fields.push_back(JsonField{{}, value});
  }

  simdjson::error_code visit_object(ondemand::object& object, int depth) {
    for (auto field_result : object) {
      ondemand::field field;
      if (auto e = std::move(field_result).get(field)) return e;
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      const std::size_t mark = path.size();
      if (depth > 1) path.push_back('.');
      path.append(key);
      auto e = visit_value(field.value(), depth);
      path.resize(mark);
      if (e) return e;
    }
    return simdjson::SUCCESS;
  }

  simdjson::error_code visit_array(ondemand::array& array, int depth) {
    std::size_t index = 0;
    for (auto element_result : array) {
      ondemand::value element;
      if (auto e = std::move(element_result).get(element)) return e;
      const std::size_t mark = path.size();
      std::array<char, 24> digits;
      const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), index).ptr;
      path.push_back('.');
      path.append(digits.data(), end);
      auto e = visit_value(element, depth);
      path.resize(mark);
      if (e) return e;
      ++index;
    }
    return simdjson::SUCCESS;
  }

  // `depth` is that of the object or array holding `value`.
  simdjson::error_code visit_value(ondemand::value& value, int depth) {
    ondemand::json_type type;
    if (auto e = value.type().get(type)) return e;
    switch (type) {
      case ondemand::json_type::object: {
        if (depth >= kMaxDepth) return depth_error(value);
        ondemand::object object;
        if (auto e = value.get_object().get(object)) return e;
        return visit_object(object, depth + 1);
      }
      case ondemand::json_type::array: {
        if (depth >= kMaxDepth) return depth_error(value);
        ondemand::array array;
        if (auto e = value.get_array().get(array)) return e;
        return visit_array(array, depth + 1);
      }
      case ondemand::json_type::string: {
        std::string_view text;
        if (auto e = value.get_string().get(text)) return e;
        add(text);
        return simdjson::SUCCESS;
      }
      case ondemand::json_type::number: {
        // Left unconsumed: the enclosing iteration skips it.
        const std::string_view raw = trim_trailing_whitespace(value.raw_json_token());
        if (!is_json_number(raw)) {
          error_at = raw.data();
          return simdjson::NUMBER_ERROR;
        }
        add(raw);
        return simdjson::SUCCESS;
      }
      case ondemand::json_type::boolean: {
        bool flag = false;
        if (auto e = value.get_bool().get(flag)) return e;
        add(flag ? std::string_view("true") : std::string_view("false"));
        return simdjson::SUCCESS;
      }
      case ondemand::json_type::null: {
        bool is_null = false;
        if (auto e = value.is_null().get(is_null)) return e;
        return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
      }
    }
    return simdjson::TAPE_ERROR;
  }

  simdjson::error_code depth_error(ondemand::value& value) {
    error_at = value.raw_json_token().data();
    return simdjson::DEPTH_ERROR;
  }

  void clear() {
    path.clear();
    names.clear();
    name_spans.clear();
    fields.clear();
    error_at = nullptr;
    error[0] = '\0';
  }

  // Where the iterator stopped; "ended early" errors (which simdjson also raises when the
  // last token of the line is not the closing brace) point at the end of the line.
  const char* location_of(ondemand::document& doc, simdjson::error_code e) {
    if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) return nullptr;
    const char* where = nullptr;
    if (doc.current_location().get(where) != simdjson::SUCCESS) return nullptr;
    return where;
  }

  bool fail(const char* message) {
    name_spans.clear();
    fields.clear();
    std::snprintf(error.data(), error.size(), "%s", message);
    return false;
  }

  // "invalid JSON at byte N: <reason>"; `where` null means the end of the line.
  bool fail_at(const char* where, std::size_t line_size, const char* reason) {
    std::size_t offset = line_size;
    if (where != nullptr && where >= input.data() && where <= input.data() + line_size) {
      offset = static_cast<std::size_t>(where - input.data());
    }
    name_spans.clear();
    fields.clear();
    std::snprintf(error.data(), error.size(), "invalid JSON at byte %zu: %s", offset, reason);
    return false;
  }
};

JsonFields::JsonFields() : state_(std::make_unique<State>()) {}
JsonFields::~JsonFields() = default;
JsonFields::JsonFields(JsonFields&&) noexcept = default;
JsonFields& JsonFields::operator=(JsonFields&&) noexcept = default;

bool JsonFields::parse(std::string_view line) {
  State& s = *state_;
  s.clear();

  const std::size_t padded_size = line.size() + simdjson::SIMDJSON_PADDING;
  if (s.input.size() < padded_size) s.input.resize(padded_size);
  if (!line.empty()) std::memcpy(s.input.data(), line.data(), line.size());
  std::memset(s.input.data() + line.size(), 0, simdjson::SIMDJSON_PADDING);

  ondemand::document doc;
  auto iterated = s.parser.iterate(simdjson::padded_string_view(s.input.data(), line.size(), s.input.size()));
  if (auto e = std::move(iterated).get(doc)) {
    if (e == simdjson::EMPTY) return s.fail("empty line");
    if (e == simdjson::UTF8_ERROR) return s.fail("invalid UTF-8");
    if (e == simdjson::MEMALLOC || e == simdjson::CAPACITY) {
      return s.fail("line too long for the JSON parser");
    }
    return s.fail_at(nullptr, line.size(), simdjson::error_message(e));
  }

  ondemand::json_type type;
  if (auto e = doc.type().get(type)) {
    return s.fail_at(s.location_of(doc, e), line.size(), simdjson::error_message(e));
  }
  if (type != ondemand::json_type::object) return s.fail("not an object");

  ondemand::object object;
  simdjson::error_code e = doc.get_object().get(object);
  if (!e) e = s.visit_object(object, 1);
  if (e) {
    const char* where = s.error_at != nullptr ? s.error_at : s.location_of(doc, e);
    return s.fail_at(where, line.size(), simdjson::error_message(e));
  }

  // After the object, only whitespace may remain: the iterator must be at its end.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {
    return s.fail_at(rest, line.size(), "trailing characters after the object");
  }

  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    const auto [offset, size] = s.name_spans[i];
    s.fields[i].name = std::string_view(s.names.data() + offset, size);
  }
  return true;
}

const std::vector<JsonField>& JsonFields::fields() const { return state_->fields; }

std::string_view JsonFields::find(std::string_view name) const {
  for (const JsonField& field : state_->fields) {
    if (field.name == name) return field.value;
  }
  return {};
}

const char* JsonFields::error() const { return state_->error.data(); }

}  // namespace logpulse::match
