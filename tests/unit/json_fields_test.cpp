#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "match/json_fields.h"

using logpulse::match::JsonField;
using logpulse::match::JsonFields;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs pairs_of(const JsonFields& json) {
  Pairs out;
  for (const JsonField& field : json.fields()) {
    out.emplace_back(std::string(field.name), std::string(field.value));
  }
  return out;
}

Pairs parsed(std::string_view line) {
  JsonFields json;
  REQUIRE_MESSAGE(json.parse(line), json.error());
  CHECK(std::string_view(json.error()).empty());
  return pairs_of(json);
}

// Parses `line`, expects failure, and returns the error message.
std::string failure(JsonFields& json, std::string_view line) {
  CHECK_FALSE(json.parse(line));
  CHECK(json.fields().empty());
  CHECK(json.find("a").empty());
  return json.error();
}

std::string failure(std::string_view line) {
  JsonFields json;
  return failure(json, line);
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

constexpr std::string_view kTypicalLine =
    R"({"ts":"2024-11-25T00:00:00Z","level":"info","msg":"request done",)"
    R"("http":{"method":"GET","path":"/api/v1/items/123","status":200},"duration_ms":12.5,)"
    R"("user":{"id":42,"tags":["a","b"]}})";

}  // namespace

TEST_CASE("json_fields: flat object") {
  CHECK(parsed(R"({"level":"info","msg":"hello world","code":7})") ==
        Pairs{{"level", "info"}, {"msg", "hello world"}, {"code", "7"}});
  CHECK(parsed("{}").empty());
}

TEST_CASE("json_fields: nested objects flatten to dotted names") {
  JsonFields json;
  REQUIRE(json.parse(kTypicalLine));
  CHECK(pairs_of(json) == Pairs{{"ts", "2024-11-25T00:00:00Z"},
                                {"level", "info"},
                                {"msg", "request done"},
                                {"http.method", "GET"},
                                {"http.path", "/api/v1/items/123"},
                                {"http.status", "200"},
                                {"duration_ms", "12.5"},
                                {"user.id", "42"},
                                {"user.tags.0", "a"},
                                {"user.tags.1", "b"}});
  CHECK(json.find("http.status") == "200");
  CHECK(json.find("user.tags.1") == "b");
  CHECK(json.find("http") == "");
  CHECK(json.find("missing") == "");
  CHECK(parsed(R"({"a":{"b":{"c":{"d":"deep"}}},"e":{}})") == Pairs{{"a.b.c.d", "deep"}});
}

TEST_CASE("json_fields: arrays, including objects and arrays inside arrays") {
  CHECK(parsed(R"({"xs":[1,"two",true,null,{"k":"v","n":[]},[3,[4]]],"empty":[]})") ==
        Pairs{{"xs.0", "1"}, {"xs.1", "two"}, {"xs.2", "true"}, {"xs.4.k", "v"}, {"xs.5.0", "3"}, {"xs.5.1.0", "4"}});
  std::string many = R"({"a":[)";
  for (int i = 0; i < 12; ++i) many += (i ? "," : "") + std::to_string(i * 10);
  many += "]}";
  const Pairs fields = parsed(many);
  REQUIRE(fields.size() == 12);
  CHECK(fields[11] == std::pair<std::string, std::string>{"a.11", "110"});
}

TEST_CASE("json_fields: string escapes are unescaped") {
  JsonFields json;
  REQUIRE(json.parse(R"({"q":"say \"hi\"","bs":"C:\\temp","nl":"one\ntwo","tab":"a\tb","e":"caf\u00e9",)"
                     R"("emoji":"\ud83d\ude00","slash":"a\/b","k\u00e9y":"x","raw":"déjà vu"})"));
  CHECK(json.find("q") == "say \"hi\"");
  CHECK(json.find("bs") == "C:\\temp");
  CHECK(json.find("nl") == "one\ntwo");
  CHECK(json.find("tab") == "a\tb");
  CHECK(json.find("e") == "caf\xc3\xa9");
  CHECK(json.find("emoji") == "\xf0\x9f\x98\x80");
  CHECK(json.find("slash") == "a/b");
  CHECK(json.find("k\xc3\xa9y") == "x");  // keys are unescaped too
  CHECK(json.find("raw") == "d\xc3\xa9j\xc3\xa0 vu");
  CHECK(parsed(R"({"s":""})") == Pairs{{"s", ""}});
}

TEST_CASE("json_fields: numbers keep their raw text") {
  CHECK(parsed(R"({"a":1.50,"b":-3,"c":1e3,"d":0,"e":-0.0,"f":2.5E-7,"g":1E+2,)"
               R"("big":123456789012345678901234567890})") == Pairs{{"a", "1.50"},
                                                                    {"b", "-3"},
                                                                    {"c", "1e3"},
                                                                    {"d", "0"},
                                                                    {"e", "-0.0"},
                                                                    {"f", "2.5E-7"},
                                                                    {"g", "1E+2"},
                                                                    {"big", "123456789012345678901234567890"}});
  // Whitespace around a number is not part of it.
  CHECK(parsed("{ \"a\" : 12 ,\n\"b\":\t-4.5\t}") == Pairs{{"a", "12"}, {"b", "-4.5"}});
  CHECK(parsed(R"({"n":[1.0 , 2]})") == Pairs{{"n.0", "1.0"}, {"n.1", "2"}});
}

TEST_CASE("json_fields: booleans as text, null fields omitted") {
  CHECK(parsed(R"({"t":true,"f":false,"n":null,"o":{"x":null,"y":false}})") ==
        Pairs{{"t", "true"}, {"f", "false"}, {"o.y", "false"}});
  CHECK(parsed(R"({"n":null})").empty());
}

TEST_CASE("json_fields: leading and trailing whitespace allowed") {
  CHECK(parsed(" \t{\"a\":\"b\"}  \r\n") == Pairs{{"a", "b"}});
}

TEST_CASE("json_fields: duplicate names are kept, find returns the first") {
  JsonFields json;
  REQUIRE(json.parse(R"({"a":"1","a":"2"})"));
  CHECK(json.fields().size() == 2);
  CHECK(json.find("a") == "1");
}

TEST_CASE("json_fields: malformed JSON is refused with a reason") {
  CHECK(failure("") == "empty line");
  CHECK(failure("   ") == "empty line");

  for (std::string_view line : {R"([1,2])", R"("just a string")", "42", "-1.5", "true", "null", R"([{"a":1}])"}) {
    CAPTURE(line);
    CHECK(failure(line) == "not an object");
  }

  for (std::string_view line : {R"({"a":1)",
                                R"({"a":)",
                                R"({"a)",
                                R"({"a":"b)",
                                R"({"a":{"b":1})",
                                R"({"a":[1,2})",
                                R"({"a" 1})",
                                R"({"a":1,})",
                                R"({,"a":1})",
                                R"({a:1})",
                                R"({"a":tru})",
                                R"({"a":nul})",
                                R"({"a":falsey})",
                                R"({"a":01})",
                                R"({"a":1.})",
                                R"({"a":.5})",
                                R"({"a":-})",
                                R"({"a":1e})",
                                R"({"a":1.5x})",
                                R"({"a":+1})",
                                R"({"a":"\x"})",
                                "{\"a\":\"tab\there\"}",
                                R"({"a":[1 2]})",
                                R"({"a":1 "b":2})",
                                "{",
                                "}",
                                "xyz"}) {
    CAPTURE(line);
    const std::string error = failure(line);
    CHECK(contains(error, "invalid JSON"));
  }

  // Trailing garbage: simdjson reports a line not ending in the object's brace as a document
  // that ended early, so the byte is the end of the line there.
  CHECK(failure(R"({"a":1}{"b":2})") == "invalid JSON at byte 7: trailing characters after the object");
  CHECK(contains(failure(R"({"a":1}})"), "invalid JSON at byte 7"));
  CHECK(contains(failure(R"({"a":1} x)"), "invalid JSON at byte 9"));
  CHECK(contains(failure(R"({"a":1} {)"), "invalid JSON"));
}

TEST_CASE("json_fields: error names the byte where the number is bad") {
  CHECK(contains(failure(R"({"level":"info","n":1.5x})"), "invalid JSON at byte 20: "));
  CHECK(contains(failure(R"({"level":"info","n":[1,2,3,--4]})"), "invalid JSON at byte 27: "));
  CHECK(contains(failure(R"({"a":1)"), "invalid JSON at byte 6: "));
}

TEST_CASE("json_fields: invalid UTF-8 inside a string is refused") {
  CHECK(failure("{\"ua\":\"caf\xe9\"}") == "invalid UTF-8");      // Latin-1 é
  CHECK(failure("{\"ua\":\"\xc3\"}") == "invalid UTF-8");         // truncated sequence
  CHECK(failure("{\"\xff\":\"v\"}") == "invalid UTF-8");          // in a key
  CHECK(failure("{\"a\":\"\xed\xa0\x80\"}") == "invalid UTF-8");  // encoded surrogate
}

TEST_CASE("json_fields: nesting deeper than kMaxDepth is refused, not recursed into") {
  auto nested = [](int depth) {
    std::string line;
    for (int i = 0; i < depth; ++i) line += "{\"a\":";
    line += "1";
    for (int i = 0; i < depth; ++i) line += "}";
    return line;
  };
  JsonFields json;
  REQUIRE(json.parse(nested(JsonFields::kMaxDepth)));
  REQUIRE(json.fields().size() == 1);
  CHECK(json.fields()[0].value == "1");
  CHECK(json.fields()[0].name.size() == 2 * JsonFields::kMaxDepth - 1);
  CHECK(contains(failure(json, nested(JsonFields::kMaxDepth + 1)), "invalid JSON"));

  std::string arrays = "{\"a\":" + std::string(50000, '[') + std::string(50000, ']') + "}";
  CHECK(contains(failure(json, arrays), "invalid JSON"));
}

TEST_CASE("json_fields: a 100 KB line") {
  std::string line = R"({"level":"warn","payload":")";
  const std::string chunk = "0123456789abcdef\\\"";  // 18 bytes, unescapes to 17
  std::string expected;
  while (line.size() < 100 * 1024) {
    line += chunk;
    expected += "0123456789abcdef\"";
  }
  line += R"(","items":[)";
  for (int i = 0; i < 500; ++i) line += (i ? "," : "") + std::to_string(i);
  line += "]}";
  REQUIRE(line.size() > 100 * 1024);

  JsonFields json;
  REQUIRE_MESSAGE(json.parse(line), json.error());
  CHECK(json.fields().size() == 2 + 500);
  CHECK(json.find("level") == "warn");
  CHECK(json.find("payload") == expected);
  CHECK(json.find("items.499") == "499");
}

TEST_CASE("json_fields: each parse is independent of the previous one") {
  JsonFields json;

  std::string long_line = R"({"pad":")" + std::string(20000, 'x') + R"(","level":"error")";
  for (int i = 0; i < 300; ++i) long_line += ",\"f" + std::to_string(i) + "\":{\"v\":" + std::to_string(i) + "}";
  long_line += "}";
  REQUIRE(json.parse(long_line));
  CHECK(json.fields().size() == 302);
  CHECK(json.find("f299.v") == "299");

  REQUIRE(json.parse(R"({"level":"info","n":1})"));
  CHECK(pairs_of(json) == Pairs{{"level", "info"}, {"n", "1"}});
  CHECK(json.find("pad") == "");
  CHECK(json.find("f0.v") == "");

  // A failure clears the fields of the previous success, and a success clears the error.
  CHECK_FALSE(json.parse(R"({"level":)"));
  CHECK(json.fields().empty());
  REQUIRE(json.parse(kTypicalLine));
  CHECK(std::string_view(json.error()).empty());
  CHECK(json.find("http.method") == "GET");

  // A truncated line after a longer one must not see the longer line's leftover bytes.
  REQUIRE(json.parse(R"({"a":"1234567890"})"));
  CHECK_FALSE(json.parse(R"({"a":"12)"));
  CHECK(contains(json.error(), "invalid JSON"));

  // Views stay valid across a move of the parser.
  REQUIRE(json.parse(R"({"k":"v","m":{"n":"o"}})"));
  const std::string_view name = json.fields()[1].name;
  JsonFields moved = std::move(json);
  CHECK(name == "m.n");
  CHECK(moved.find("m.n") == "o");
}
