#include "match/pattern_library.h"

#include <cctype>
#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace logpulse::match {
namespace {

using PatternMap = std::map<std::string, std::string, std::less<>>;

// IPv6 in the textual forms of RFC 4291 section 2.2, exact on the group count: eight groups,
// a "::" standing for one or more zero groups (at most seven explicit groups then), and the
// last 32 bits as a dotted quad (::ffff:10.0.0.1). Written out per count of groups before the
// "::" rather than with lookarounds, which RE2 lacks; every repetition is bounded, so the
// automaton stays small. An optional zone index (fe80::1%eth0) may follow.
std::string ipv6_pattern() {
  const std::string group = "[0-9A-Fa-f]{1,4}";
  const std::string head = "(?:" + group + ":)";  // a group and its colon
  const std::string tail = "(?::" + group + ")";  // a colon and its group
  auto times = [](const std::string& piece, int low, int high) {
    const std::string upper = low == high ? "" : "," + std::to_string(high);
    return piece + "{" + std::to_string(low) + upper + "}";
  };

  // Everything before an embedded IPv4 address (which takes the place of two groups).
  std::vector<std::string> before_ipv4 = {times(head, 6, 6), "::" + times(head, 0, 5)};
  for (int lead = 1; lead <= 4; ++lead) {
    before_ipv4.push_back(times(head, lead, lead) + ":" + times(head, 0, 5 - lead));
  }
  before_ipv4.push_back(times(head, 5, 5) + ":");

  std::vector<std::string> forms;
  std::string prefix;
  for (const auto& form : before_ipv4) prefix += (prefix.empty() ? "" : "|") + form;
  forms.push_back("(?:" + prefix + ")%{IPV4}");
  forms.push_back(times(head, 7, 7) + group);
  for (int lead = 6; lead >= 1; --lead) {  // lead groups, "::", then 1..(7 - lead) groups
    forms.push_back(times(head, lead, lead) + times(tail, 1, 7 - lead));
  }
  forms.push_back(times(head, 1, 7) + ":");  // trailing "::"
  forms.push_back(":" + times(tail, 1, 7));  // leading "::"
  forms.push_back("::");

  std::string alternatives;
  for (const auto& form : forms) alternatives += (alternatives.empty() ? "" : "|") + form;
  return "(?:" + alternatives + ")(?:%[0-9A-Za-z]+)?";
}

PatternMap make_bundled_patterns() {
  return PatternMap{
      // Users and addresses.
      {"USERNAME", R"re([a-zA-Z0-9._-]+)re"},
      {"USER", "%{USERNAME}"},
      {"EMAILLOCALPART", R"re([a-zA-Z0-9!#$%&'*+/=?^_`|~-]+(?:\.[a-zA-Z0-9!#$%&'*+/=?^_`|~-]+)*)re"},
      {"EMAILADDRESS", "%{EMAILLOCALPART}@%{HOSTNAME}"},
      {"HTTPDUSER", "%{EMAILADDRESS}|%{USER}"},

      // Numbers.
      {"INT", R"re([+-]?[0-9]+)re"},
      {"BASE10NUM", R"re([+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+))re"},
      {"NUMBER", "%{BASE10NUM}"},
      {"BASE16NUM", R"re([+-]?(?:0[xX])?[0-9A-Fa-f]+)re"},
      {"POSINT", R"re([1-9][0-9]*)re"},
      {"NONNEGINT", R"re([0-9]+)re"},

      // Words and free text.
      {"WORD", R"re(\b\w+\b)re"},
      {"NOTSPACE", R"re(\S+)re"},
      {"SPACE", R"re(\s*)re"},
      {"DATA", R"re(.*?)re"},
      {"GREEDYDATA", R"re(.*)re"},
      {"QUOTEDSTRING", R"re("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`)re"},
      {"QS", "%{QUOTEDSTRING}"},
      {"UUID", R"re([A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12})re"},

      // Network.
      {"MAC",
       R"re((?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2}|(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2}|(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4})re"},
      {"IPV4", R"re((?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)(?:\.(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)){3})re"},
      {"IPV6", ipv6_pattern()},
      {"IP", "%{IPV4}|%{IPV6}"},
      // Labels of letters, digits and inner hyphens, separated by dots; a trailing dot allowed.
      {"HOSTNAME", R"re([0-9A-Za-z](?:[0-9A-Za-z-]*[0-9A-Za-z])?(?:\.[0-9A-Za-z](?:[0-9A-Za-z-]*[0-9A-Za-z])?)*\.?)re"},
      {"IPORHOST", "%{IP}|%{HOSTNAME}"},
      {"HOSTPORT", R"re(%{IPORHOST}:%{POSINT}|\[%{IPV6}\]:%{POSINT})re"},

      // Paths and URIs. One character class that includes '/' instead of grok's repeated
      // "/segment" group: the same language, without a repetition nested in another.
      {"UNIXPATH", R"re(/[\w%!$@:.,+~/-]*)re"},
      {"WINPATH", R"re((?:[A-Za-z]+:|\\)\\[^?*]*)re"},
      {"PATH", "%{UNIXPATH}|%{WINPATH}"},
      {"URIPROTO", R"re([A-Za-z][A-Za-z0-9+.-]*)re"},
      {"URIHOST", R"re((?:%{IPORHOST}|\[%{IPV6}\])(?::%{POSINT})?)re"},
      {"URIPATH", R"re(/[A-Za-z0-9$.+!*'(),~:;=@#%&_/-]*)re"},
      {"URIPARAM", R"re(\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\[\]<>-]*)re"},
      {"URIPATHPARAM", "%{URIPATH}(?:%{URIPARAM})?"},
      {"URI", R"re(%{URIPROTO}://(?:%{USER}(?::[^@\s]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?)re"},

      // Dates and times.
      {"MONTH",
       R"re(\b(?:[Jj]an(?:uary)?|[Ff]eb(?:ruary)?|[Mm]ar(?:ch)?|[Aa]pr(?:il)?|[Mm]ay|[Jj]une?|[Jj]uly?|[Aa]ug(?:ust)?|[Ss]ep(?:t(?:ember)?)?|[Oo]ct(?:ober)?|[Nn]ov(?:ember)?|[Dd]ec(?:ember)?)\b)re"},
      {"MONTHNUM", R"re(0?[1-9]|1[0-2])re"},
      {"MONTHNUM2", R"re(0[1-9]|1[0-2])re"},
      {"MONTHDAY", R"re(0[1-9]|[12][0-9]|3[01]|[1-9])re"},
      {"DAY",
       R"re(\b(?:[Mm]on(?:day)?|[Tt]ue(?:sday)?|[Ww]ed(?:nesday)?|[Tt]hu(?:rsday)?|[Ff]ri(?:day)?|[Ss]at(?:urday)?|[Ss]un(?:day)?)\b)re"},
      {"YEAR", R"re([0-9]{4}|[0-9]{2})re"},
      {"HOUR", R"re(2[0-3]|[01]?[0-9])re"},
      {"MINUTE", R"re([0-5][0-9])re"},
      {"SECOND", R"re((?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)re"},
      {"TIME", "%{HOUR}:%{MINUTE}:%{SECOND}"},
      {"ISO8601_TIMEZONE", R"re(Z|[+-]%{HOUR}(?::?%{MINUTE})?)re"},
      {"TIMESTAMP_ISO8601",
       R"re(%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?)re"},
      {"HTTPDATE", "%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}"},
      {"SYSLOGTIMESTAMP", "%{MONTH} +%{MONTHDAY} %{TIME}"},

      // Syslog and levels. PROG leaves out ':' as well as grok's '[' and ']', so the colon
      // after a program name without a pid is never taken for part of the name.
      {"PROG", R"re([^\s\[\]:]+)re"},
      {"SYSLOGPROG", R"re(%{PROG}(?:\[%{POSINT}\])?)re"},
      {"SYSLOGHOST", "%{IPORHOST}"},
      {"LOGLEVEL",
       R"re([Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo?(?:rmation)?|INFO?(?:RMATION)?|[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|[Ee]merg(?:ency)?|EMERG(?:ENCY)?|[Pp]anic|PANIC)re"},

      // Whole lines: the only bundled patterns with named captures (see docs/patterns.md).
      // Fields are found by position, so the client and syslog host are taken as NOTSPACE:
      // with the exact IPORHOST, capture extraction on the shared nginx workload was 3.4x
      // slower (RE2 1.8 s against 0.53 s for 200k lines), for no line matched differently.
      // The request must be "METHOD target HTTP/version", as in the reference mtail program;
      // a "-" size leaves `bytes` unset; referrer and agent are captured without the quotes,
      // with Apache's \" and nginx's \x22 escapes left as logged.
      {"COMMONAPACHELOG",
       R"re(%{NOTSPACE:client} %{NOTSPACE:ident} %{NOTSPACE:auth} \[%{HTTPDATE:timestamp}\] "(?P<method>[A-Z][A-Z_-]*) (?P<path>\S+) HTTP/(?P<httpversion>[0-9]+(?:\.[0-9]+)?)" (?P<status>[0-9]{3}) (?:%{NONNEGINT:bytes}|-))re"},
      {"COMBINEDAPACHELOG", R"re(%{COMMONAPACHELOG} "(?P<referrer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")re"},
      {"NGINXACCESS", R"re(%{COMBINEDAPACHELOG}(?: %{NUMBER:request_time})?)re"},
      {"SYSLOGLINE",
       R"re((?P<timestamp>%{SYSLOGTIMESTAMP}|%{TIMESTAMP_ISO8601}) %{NOTSPACE:logsource} (?:%{PROG:program}(?:\[%{POSINT:pid}\])?: ?)?%{GREEDYDATA:message})re"},
  };
}

bool is_identifier(std::string_view text) {
  if (text.empty()) return false;
  const auto first = static_cast<unsigned char>(text.front());
  if (!std::isalpha(first) && first != '_') return false;
  for (char c : text.substr(1)) {
    const auto byte = static_cast<unsigned char>(c);
    if (!std::isalnum(byte) && byte != '_') return false;
  }
  return true;
}

// True for the body of a repetition of a literal '%' such as %{2} or %{1,3}.
bool is_repetition(std::string_view body) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i;
    return i > start;
  };
  if (!digits()) return false;
  if (i < body.size() && body[i] == ',') {
    ++i;
    digits();
  }
  return i == body.size();
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// "A -> B -> C", or the first and last few names of a long chain.
std::string chain_text(const std::vector<std::string>& chain, std::size_t from = 0) {
  constexpr std::size_t kShown = 4;
  std::string out;
  for (std::size_t i = from; i < chain.size(); ++i) {
    if (chain.size() - from > 2 * kShown && i == from + kShown) {
      out += " -> ...";
      i = chain.size() - kShown;
    }
    out += (i == from ? "" : " -> ") + chain[i];
  }
  return out;
}

// An expanded expression and the names of the groups it captures, in order.
struct Expansion {
  std::string regex;
  std::vector<std::string> captures;
};

// One expansion: the user's patterns, the chain of names being expanded (for cycles and for
// error messages), and the finished expansions, so a pattern used many times is expanded once.
class Expander {
 public:
  explicit Expander(const PatternMap& user_patterns) : user_patterns_(user_patterns) {}

  Expansion expand(std::string_view text) {
    check_size(text.size());
    Expansion result;
    std::string& out = result.regex;
    out.reserve(text.size());
    bool in_class = false;
    std::size_t i = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '\\') {
        if (i + 1 < text.size() && text[i + 1] == 'Q') {  // \Q...\E: literal text
          const std::size_t end = text.find("\\E", i + 2);
          const std::size_t stop = end == std::string_view::npos ? text.size() : end + 2;
          out.append(text.substr(i, stop - i));
          i = stop;
        } else {
          out.append(text.substr(i, 2));
          i += 2;
        }
        continue;
      }
      if (in_class) {
        if (c == '[' && i + 1 < text.size() && text[i + 1] == ':') {  // [:alpha:]
          const std::size_t end = text.find(":]", i + 2);
          const std::size_t stop = end == std::string_view::npos ? i + 1 : end + 2;
          out.append(text.substr(i, stop - i));
          i = stop;
          continue;
        }
        if (c == ']') in_class = false;
        out.push_back(c);
        ++i;
        continue;
      }
      if (c == '[') {  // a class; a ']' right after '[' or '[^' is a member, not the end
        in_class = true;
        std::size_t stop = i + 1;
        if (stop < text.size() && text[stop] == '^') ++stop;
        if (stop < text.size() && text[stop] == ']') ++stop;
        out.append(text.substr(i, stop - i));
        i = stop;
        continue;
      }
      if (c == '%' && i + 1 < text.size() && text[i + 1] == '{') {
        i = expand_reference(text, i, result);
        continue;
      }
      if (text.substr(i).starts_with("(?P<")) {  // a named group written out
        const std::size_t end = text.find('>', i + 4);
        if (end != std::string_view::npos) {
          result.captures.emplace_back(text.substr(i + 4, end - i - 4));
        }
      }
      out.push_back(c);
      ++i;
    }
    return result;
  }

 private:
  // Expands the reference starting at text[start] ("%{"); returns the offset after it.
  std::size_t expand_reference(std::string_view text, std::size_t start, Expansion& result) {
    std::string& out = result.regex;
    const std::size_t close = text.find('}', start + 2);
    if (close == std::string_view::npos) {
      fail("unterminated %{ " + location(start) + " (no closing '}'; write \\%{ for a literal \"%{\")");
    }
    const std::string_view reference = text.substr(start, close + 1 - start);
    const std::string_view body = text.substr(start + 2, close - start - 2);
    if (is_repetition(body)) {  // %{2}: RE2's own repetition of a literal '%'
      out.append(reference);
      return close + 1;
    }
    const std::size_t colon = body.find(':');
    const std::string_view name = body.substr(0, colon);
    if (!is_identifier(name)) {
      fail("bad pattern name \"" + std::string(name) + "\" in " + std::string(reference) + " " + location(start) +
           ": a pattern name must match [A-Za-z_][A-Za-z0-9_]* (write \\%{ for a literal \"%{\")");
    }
    if (colon != std::string_view::npos) {
      const std::string_view capture = body.substr(colon + 1);
      if (!is_identifier(capture)) {
        const bool typed = capture.find(':') != std::string_view::npos;  // grok's %{NUMBER:n:int}
        fail("bad capture name \"" + std::string(capture) + "\" in " + std::string(reference) + " " + location(start) +
             ": a capture name must match [A-Za-z_][A-Za-z0-9_]*" +
             (typed ? " (grok's :type suffix is not supported)" : ""));
      }
      out.append("(?P<").append(capture).append(">");
      result.captures.emplace_back(capture);
    } else {
      out.append("(?:");
    }
    const Expansion& expansion = expand_name(name, reference, start);
    check_size(out.size() + expansion.regex.size() + 1);  // before building it
    out.append(expansion.regex);
    result.captures.insert(result.captures.end(), expansion.captures.begin(), expansion.captures.end());
    out.push_back(')');
    return close + 1;
  }

  const Expansion& expand_name(std::string_view name, std::string_view reference, std::size_t offset) {
    if (auto done = done_.find(name); done != done_.end()) return done->second;
    for (std::size_t i = 0; i < chain_.size(); ++i) {
      if (chain_[i] == name) fail("pattern reference cycle: " + chain_text(chain_, i) + " -> " + std::string(name));
    }
    if (chain_.size() >= kMaxPatternDepth) {
      fail("pattern references nest more than " + std::to_string(kMaxPatternDepth) + " levels deep (" +
           chain_text(chain_) + " -> " + std::string(name) + "; expected at most " + std::to_string(kMaxPatternDepth) +
           " levels of %{NAME} within %{NAME})");
    }
    const std::string* definition = lookup(name);
    if (definition == nullptr) {
      fail("unknown pattern name \"" + std::string(name) + "\" in " + std::string(reference) + " " + location(offset) +
           ": not in patterns: nor among the bundled patterns" + suggestion(name));
    }
    chain_.emplace_back(name);
    Expansion expanded = expand(*definition);
    chain_.pop_back();
    return done_.emplace(std::string(name), std::move(expanded)).first->second;
  }

  const std::string* lookup(std::string_view name) const {
    if (auto user = user_patterns_.find(name); user != user_patterns_.end()) return &user->second;
    const auto& bundled = bundled_patterns();
    if (auto found = bundled.find(name); found != bundled.end()) return &found->second;
    return nullptr;
  }

  std::string suggestion(std::string_view name) const {
    for (const auto* patterns : {&user_patterns_, &bundled_patterns()}) {
      for (const auto& [known, definition] : *patterns) {
        if (equal_ignoring_case(known, name)) return " (did you mean " + known + "?)";
      }
    }
    return "";
  }

  // Where an offset lies: in the expression itself, or in a named pattern being expanded.
  std::string location(std::size_t offset) const {
    if (chain_.empty()) return "at offset " + std::to_string(offset);
    std::string where = "at offset " + std::to_string(offset) + " of pattern " + chain_.back();
    if (chain_.size() > 1) where += " (reached via " + chain_text(chain_) + ")";
    return where;
  }

  [[noreturn]] static void fail(const std::string& message) { throw PatternError(message); }

  // Fails as soon as an expansion would pass the bound, before it is built: patterns that
  // double at each level would otherwise take gigabytes before RE2 refused the result.
  void check_size(std::size_t size) const {
    if (size <= kMaxExpandedPatternBytes) return;
    std::string where = chain_.empty() ? "" : " (while expanding " + chain_text(chain_) + ")";
    fail("pattern too large: it expands to more than " + std::to_string(kMaxExpandedPatternBytes >> 10) + " KiB" +
         where + "; expected a smaller expansion (RE2 would refuse it)");
  }

  const PatternMap& user_patterns_;
  std::vector<std::string> chain_;
  std::map<std::string, Expansion, std::less<>> done_;
};

}  // namespace

const std::map<std::string, std::string, std::less<>>& bundled_patterns() {
  static const PatternMap patterns = make_bundled_patterns();
  return patterns;
}

std::string expand_patterns(std::string_view pattern,
                            const std::map<std::string, std::string, std::less<>>& user_patterns) {
  Expansion expansion = Expander(user_patterns).expand(pattern);
  // RE2 (2022-06-01, Debian 12) accepts two groups with one name and then reports only one of
  // them, so a capture would silently read the wrong field.
  std::set<std::string_view> seen;
  for (const auto& capture : expansion.captures) {
    if (!seen.insert(capture).second) {
      throw PatternError("capture name \"" + capture +
                         "\" is used twice (a pattern with captures used twice, or the same "
                         "%{NAME:capture} twice): rename one of them");
    }
  }
  return std::move(expansion.regex);
}

}  // namespace logpulse::match
