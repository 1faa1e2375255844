#include "config/config_loader.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#include "config/duration.h"
#include "core/text_escape.h"
#include "net/url.h"
#include "tail/glob.h"

namespace logpulse::config {
namespace {

// A configuration file larger than this is refused before it is read (a YAML file of rules
// is kilobytes; -c /dev/zero would otherwise read forever).
constexpr std::size_t kMaxConfigBytes = 16u << 20;
// Histogram buckets or summary quantiles of one metric.
constexpr std::size_t kMaxListNumbers = 1000;
// A window's quantiles: each is one exported series per label set.
constexpr std::size_t kMaxWindowQuantiles = 100;
// A topk window's k: every evaluation ranks and exports k series.
constexpr std::uint64_t kMaxTopk = 1000;
// Label sets one window holds.
constexpr std::uint64_t kMaxWindowSeries = 1'000'000;
// Unmatched lines kept per source for the status page.
constexpr std::uint64_t kMaxUnmatchedSamples = 1000;

// "FILE:LINE:COLUMN: ", 1-based; a node without a place (yaml-cpp's null mark, -1) is put at
// the start of the file rather than at 0:0.
std::string place(const std::string& file, const YAML::Mark& mark) {
  const int line = mark.line < 0 ? 1 : mark.line + 1;
  const int column = mark.column < 0 ? 1 : mark.column + 1;
  return file + ':' + std::to_string(line) + ':' + std::to_string(column) + ": ";
}

// yaml-cpp's message, with what was expected where it leaves that out.
std::string yaml_error_text(const YAML::Exception& e) {
  if (dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr)  // yaml-cpp says "bad file"
    return "the YAML is nested too deeply (expected at most a few hundred levels of [ ], { } or indentation)";
  static const std::pair<std::string_view, std::string_view> kExpected[] = {
      {YAML::ErrorMsg::END_OF_SEQ_FLOW, "expected ']' to close a '['"},
      {YAML::ErrorMsg::END_OF_MAP_FLOW, "expected '}' to close a '{'"},
      {YAML::ErrorMsg::END_OF_MAP, "expected the next key at the indentation of the ones before"},
      {YAML::ErrorMsg::END_OF_SEQ, "expected the next '- ' item at the indentation of the ones before"},
      {YAML::ErrorMsg::FLOW_END, "expected a ']' or '}' only to close a '[' or '{'"},
      {YAML::ErrorMsg::MAP_VALUE, "expected one 'key: value' per line; quote a value that holds ': '"},
      {YAML::ErrorMsg::BLOCK_ENTRY, "expected '- ' items on lines of their own"},
      {YAML::ErrorMsg::UNKNOWN_ANCHOR, "expected an &anchor defined before its *alias"},
      {YAML::ErrorMsg::INVALID_HEX, "expected hex digits after \\x in a double-quoted string"},
      {YAML::ErrorMsg::TAB_IN_INDENTATION, "expected spaces, not tabs, for indentation"},
  };
  for (const auto& [message, expected] : kExpected)
    if (e.msg == message) return e.msg + " (" + std::string(expected) + ")";
  if (e.msg.rfind(YAML::ErrorMsg::INVALID_ESCAPE, 0) == 0)  // "\d" in double quotes
    return e.msg + " (expected a YAML escape in a double-quoted string: write patterns in single quotes)";
  return e.msg;
}

bool is_blank_yaml(std::string_view text) {
  bool in_comment = false;
  for (char c : text) {
    if (c == '\n') in_comment = false;
    else if (c == '#') in_comment = true;
    else if (!in_comment && !std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Reads one YAML document, turning every problem into a ConfigError that names the place.
// `text` is the document's source, kept to see how a scalar was quoted (yaml-cpp does not
// say); it must outlive the Reader.
class Reader {
 public:
  Reader(std::string file, std::string_view text) : file_(std::move(file)), text_(text) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& what) const {
    throw ConfigError(place(file_, node.Mark()) + what);
  }

  using KeyHandlers = std::map<std::string, std::function<void(const YAML::Node&)>>;

  // Calls the handler of each key of `map`; an unknown key is an error listing the known ones.
  void for_each_key(const YAML::Node& map, const std::string& where, const KeyHandlers& handlers) {
    if (!map.IsMap()) fail(map, where + ": expected a mapping");
    for (const auto& entry : map) {
      const YAML::Node& key = entry.first;
      std::string name = scalar(key, "a key");
      auto handler = handlers.find(name);
      if (handler == handlers.end()) {
        std::string known;
        for (const auto& [k, unused] : handlers) known += (known.empty() ? "" : ", ") + k;
        fail(key, "unknown key '" + name + "' in " + where + " (expected one of: " + known + ")");
      }
      handler->second(entry.second);
    }
  }

  std::string scalar(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) fail(node, "expected " + what + " (a scalar)");
    // A NUL would cut a path short where it meets the C library; in a pattern, \x00 says it.
    if (node.Scalar().find('\0') != std::string::npos)
      fail(node, what + ": expected text without NUL bytes, got '" + node.Scalar() + "' (in a pattern, write \\x00)");
    // A constant label value or help text is exposed as is: Prometheus refuses invalid UTF-8.
    if (!core::is_valid_utf8(node.Scalar()))
      fail(node, what + ": expected UTF-8 text, got '" + core::repair_utf8(node.Scalar()) + "'");
    return node.Scalar();
  }

  std::string string(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar() || node.Scalar().empty()) fail(node, key + ": expected a non-empty string");
    return scalar(node, key);
  }

  // A duration within `range`; `zero_means` says what 0s does where the range allows it.
  std::chrono::milliseconds duration(const YAML::Node& node, const std::string& key, const DurationRange& range,
                                     std::string_view zero_means = "off") const {
    auto parsed = parse_duration(scalar(node, key + " duration"));
    if (!parsed) fail(node, key + ": bad duration '" + node.Scalar() + "' (expected e.g. 250ms, 5s, 1m, 2h, 1d)");
    if (!range.contains(*parsed))
      fail(node, key + ": " + node.Scalar() + " is out of range (" + range.expected(zero_means) + ")");
    return *parsed;
  }

  std::uint64_t positive_integer(const YAML::Node& node, const std::string& key) const {
    std::string text = scalar(node, key + " integer");
    std::uint64_t value = 0;
    bool ok = !text.empty() && text.size() < 19;
    for (char c : text) ok = ok && c >= '0' && c <= '9';
    if (ok) value = std::stoull(text);
    if (!ok || value == 0) fail(node, key + ": expected a positive integer, got '" + text + "'");
    return value;
  }

  // An integer in [min, max], written in decimal digits.
  std::uint64_t integer(const YAML::Node& node, const std::string& key, std::uint64_t min, std::uint64_t max) const {
    std::string text = scalar(node, key + " integer");
    bool ok = !text.empty() && text.size() < 19;
    for (char c : text) ok = ok && c >= '0' && c <= '9';
    const std::uint64_t value = ok ? std::stoull(text) : 0;
    if (!ok || value < min || value > max)
      fail(node, key + ": expected an integer " + std::to_string(min) + " .. " + std::to_string(max) + ", got '" +
                     text + "'");
    return value;
  }

  std::vector<std::string> string_list(const YAML::Node& node, const std::string& key) const {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(string(node, key));
      return out;
    }
    if (!node.IsSequence()) fail(node, key + ": expected a list of strings");
    for (const auto& item : node) out.push_back(string(item, key + " item"));
    return out;
  }

  std::vector<std::string> glob_list(const YAML::Node& node, const std::string& key) const {
    std::vector<std::string> globs = string_list(node, key);
    std::size_t i = 0;
    for (const auto& pattern : globs) {
      const YAML::Node item = node.IsSequence() ? node[i] : node;
      if (auto error = tail::glob_error(pattern)) fail(item, key + ": bad glob '" + pattern + "': " + *error);
      ++i;
    }
    return globs;
  }

  ListenAddress listen_address(const YAML::Node& node) const {
    std::string text = string(node, "listen");
    ListenAddress address;
    std::string port_text;
    if (!text.empty() && text.front() == '[') {
      auto close = text.find(']');
      if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
        fail(node, "listen: expected [IPv6]:port, got '" + text + "'");
      address.host = text.substr(1, close - 1);
      port_text = text.substr(close + 2);
    } else {
      auto colon = text.rfind(':');
      if (colon == std::string::npos) fail(node, "listen: expected host:port, got '" + text + "'");
      address.host = text.substr(0, colon);
      port_text = text.substr(colon + 1);
    }
    if (address.host.empty()) address.host = "0.0.0.0";
    bool digits = !port_text.empty() && port_text.size() <= 5;
    for (char c : port_text) digits = digits && c >= '0' && c <= '9';
    if (!digits || std::stoul(port_text) > 65535) fail(node, "listen: bad port '" + port_text + "' (expected 0 .. 65535)");
    address.port = static_cast<unsigned short>(std::stoul(port_text));
    return address;
  }

  Source source(const YAML::Node& node) {
    Source src;
    src.line = node.Mark().line + 1;
    src.column = node.Mark().column + 1;
    bool has_paths = false;
    for_each_key(node, "source", {
        {"name", [&](const YAML::Node& n) { src.name = string(n, "name"); }},
        {"paths", [&](const YAML::Node& n) { src.paths = glob_list(n, "paths"); has_paths = true; }},
        {"exclude", [&](const YAML::Node& n) { src.exclude = glob_list(n, "exclude"); }},
        {"start_at", [&](const YAML::Node& n) {
           std::string v = scalar(n, "start_at");
           if (v == "end") src.start_at = StartAt::kEnd;
           else if (v == "beginning") src.start_at = StartAt::kBeginning;
           else fail(n, "start_at: expected 'end' or 'beginning', got '" + v + "'");
         }},
        {"max_line_bytes", [&](const YAML::Node& n) {
           auto v = positive_integer(n, "max_line_bytes");
           if (v < 16 || v > (64u << 20)) fail(n, "max_line_bytes: expected 16 .. 67108864");
           src.max_line_bytes = v;
         }},
        {"rotate_wait", [&](const YAML::Node& n) { src.rotate_wait = duration(n, "rotate_wait", kRotateWaitRange); }},
        {"multiline", [&](const YAML::Node& n) {
           for_each_key(n, "multiline", {
               {"start", [&](const YAML::Node& m) {
                  src.multiline_start = string(m, "multiline.start");
                  src.multiline_line = m.Mark().line + 1;
                  src.multiline_column = m.Mark().column + 1;
                }},
               {"timeout", [&](const YAML::Node& m) {
                  src.multiline_timeout = duration(m, "multiline.timeout", kMultilineTimeoutRange);
                }},
           });
           if (src.multiline_start.empty()) fail(n, "multiline: 'start' is required");
         }},
        {"format", [&](const YAML::Node& n) {
           std::string v = scalar(n, "format");
           if (v == "text") src.format = Format::kText;
           else if (v == "json") src.format = Format::kJson;
           else fail(n, "format: expected 'text' or 'json', got '" + v + "'");
         }},
    });
    if (src.name.empty()) fail(node, "source: 'name' is required");
    if (!has_paths || src.paths.empty()) fail(node, "source '" + src.name + "': 'paths' is required");
    return src;
  }

  static bool is_identifier(const std::string& name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    for (char c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
  }

  static bool is_metric_name(const std::string& name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    for (char c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
    return true;
  }

  double number(const YAML::Node& node, const std::string& key) const {
    std::string text = scalar(node, key + " number");
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value))
      fail(node, key + ": expected a number, got '" + text + "'");
    return value;
  }

  std::vector<double> number_list(const YAML::Node& node, const std::string& key) const {
    if (!node.IsSequence() || node.size() == 0) fail(node, key + ": expected a non-empty list of numbers");
    // Every series holds one counter per bucket: 200,000 buckets made 1.6 MB per label set.
    if (node.size() > kMaxListNumbers)
      fail(node, key + ": " + std::to_string(node.size()) + " numbers, expected at most " +
                     std::to_string(kMaxListNumbers));
    std::vector<double> out;
    for (const auto& item : node) out.push_back(number(item, key));
    for (std::size_t i = 1; i < out.size(); ++i)
      if (!(out[i] > out[i - 1])) fail(node[i], key + ": must be strictly increasing");
    return out;
  }

  LabelSpec label_reference(const YAML::Node& node, const std::string& name, const std::string& value_text) const {
    if (!is_identifier(name) || name.rfind("__", 0) == 0) fail(node, "labels: bad label name '" + name + "' (expected [A-Za-z_][A-Za-z0-9_]*, not starting with __)");
    if (name == "le" || name == "quantile") fail(node, "labels: '" + name + "' is reserved by Prometheus");
    LabelSpec label{name, "", ""};
    if (!value_text.empty() && value_text[0] == '$') label.capture = value_text.substr(1);
    else label.constant = value_text;
    return label;
  }

  std::vector<LabelSpec> labels(const YAML::Node& node) const {
    std::vector<LabelSpec> out;
    auto add_map = [&](const YAML::Node& map) {
      for (const auto& entry : map) {
        std::string name = scalar(entry.first, "a label name");
        out.push_back(label_reference(entry.first, name, scalar(entry.second, "a label value")));
      }
    };
    if (node.IsMap()) {
      add_map(node);
    } else if (node.IsSequence()) {
      for (const auto& item : node) {
        if (item.IsMap()) {
          add_map(item);
        } else {
          // A json field "http.method" becomes the label http_method.
          std::string capture = string(item, "labels item");
          std::string name = capture;
          for (char& c : name)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
          LabelSpec label = label_reference(item, name, "$" + capture);
          out.push_back(label);
        }
      }
    } else {
      fail(node, "labels: expected a list of capture names or a mapping of constant labels");
    }
    std::set<std::string> seen;
    for (const auto& label : out)
      if (!seen.insert(label.name).second) fail(node, "labels: duplicate label '" + label.name + "'");
    return out;
  }

  MetricSpec metric(const YAML::Node& node) {
    MetricSpec m;
    m.line = node.Mark().line + 1;
    m.column = node.Mark().column + 1;
    bool has_type = false;
    for_each_key(node, "metric", {
        {"name", [&](const YAML::Node& n) {
           m.name = string(n, "name");
           if (!is_metric_name(m.name)) fail(n, "metric name '" + m.name + "' is not a valid Prometheus name (expected [A-Za-z_:][A-Za-z0-9_:]*)");
           if (m.name.rfind("logpulse_", 0) == 0) fail(n, "metric names starting with logpulse_ are reserved");
         }},
        {"type", [&](const YAML::Node& n) {
           has_type = true;
           std::string v = scalar(n, "type");
           if (v == "counter") m.type = MetricType::kCounter;
           else if (v == "gauge") m.type = MetricType::kGauge;
           else if (v == "histogram") m.type = MetricType::kHistogram;
           else if (v == "summary") m.type = MetricType::kSummary;
           else fail(n, "type: expected counter, gauge, histogram or summary, got '" + v + "'");
         }},
        {"help", [&](const YAML::Node& n) { m.help = scalar(n, "help"); }},
        {"labels", [&](const YAML::Node& n) { m.labels = labels(n); }},
        {"value", [&](const YAML::Node& n) { m.value = string(n, "value"); }},
        {"buckets", [&](const YAML::Node& n) { m.buckets = number_list(n, "buckets"); }},
        {"quantiles", [&](const YAML::Node& n) {
           m.quantiles = number_list(n, "quantiles");
           for (std::size_t i = 0; i < m.quantiles.size(); ++i)
             if (m.quantiles[i] <= 0 || m.quantiles[i] >= 1) fail(n[i], "quantiles: each must be in (0, 1)");
         }},
        {"max_age", [&](const YAML::Node& n) { m.summary_max_age = duration(n, "max_age", kSummaryMaxAgeRange); }},
    });
    if (m.name.empty()) fail(node, "metric: 'name' is required");
    if (!has_type) fail(node, "metric " + m.name + ": 'type' is required");
    if (m.help.empty()) m.help = "Defined by logpulse rule.";
    const bool needs_value = m.type != MetricType::kCounter;
    if (needs_value && m.value.empty()) fail(node, "metric " + m.name + ": 'value' is required for this type");
    if (!m.buckets.empty() && m.type != MetricType::kHistogram) fail(node, "metric " + m.name + ": 'buckets' is for histograms");
    if (!m.quantiles.empty() && m.type != MetricType::kSummary) fail(node, "metric " + m.name + ": 'quantiles' is for summaries");
    if (m.type == MetricType::kHistogram && m.buckets.empty())
      m.buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    if (m.type == MetricType::kSummary && m.quantiles.empty()) m.quantiles = {0.5, 0.9, 0.99};
    return m;
  }

  Rule rule(const YAML::Node& node, const Config& cfg) {
    Rule r;
    r.line = node.Mark().line + 1;
    r.column = node.Mark().column + 1;
    YAML::Node source_node;
    for_each_key(node, "rule", {
        {"name", [&](const YAML::Node& n) { r.name = string(n, "name"); }},
        {"source", [&](const YAML::Node& n) { r.source = string(n, "source"); source_node = n; }},
        {"match", [&](const YAML::Node& n) {
           r.match = string(n, "match");
           r.match_line = n.Mark().line + 1;
           r.match_column = n.Mark().column + 1;
         }},
        {"field", [&](const YAML::Node& n) { r.field = string(n, "field"); }},
        {"unmatched", [&](const YAML::Node& n) {
           std::string v = scalar(n, "unmatched");
           if (v != "true" && v != "false") fail(n, "unmatched: expected true or false");
           r.unmatched = v == "true";
         }},
        {"timestamp", [&](const YAML::Node& n) {
           for_each_key(n, "timestamp", {
               {"field", [&](const YAML::Node& t) { r.timestamp.field = string(t, "timestamp.field"); }},
               {"layout", [&](const YAML::Node& t) { r.timestamp.layout = string(t, "timestamp.layout"); }},
           });
           if (r.timestamp.field.empty() || r.timestamp.layout.empty())
             fail(n, "timestamp: 'field' and 'layout' are both required");
         }},
        {"metrics", [&](const YAML::Node& n) {
           if (!n.IsSequence()) fail(n, "metrics: expected a list of metrics");
           for (const auto& item : n) r.metrics.push_back(metric(item));
         }},
        {"max_series", [&](const YAML::Node& n) { r.max_series = positive_integer(n, "max_series"); }},
        {"expire_after", [&](const YAML::Node& n) {
           r.expire_after = duration(n, "expire_after", kExpireAfterRange, "never");
         }},
    });
    if (r.name.empty()) fail(node, "rule: 'name' is required");
    if (r.source.empty()) fail(node, "rule " + r.name + ": 'source' is required");
    const Source* source = nullptr;
    for (const auto& s : cfg.sources)
      if (s.name == r.source) source = &s;
    if (source == nullptr) {
      std::string known;
      for (const auto& s : cfg.sources) known += (known.empty() ? "" : ", ") + s.name;
      fail(source_node, "rule " + r.name + ": unknown source '" + r.source + "' (expected one of: " + known + ")");
    }
    if (r.unmatched && (!r.match.empty() || !r.field.empty()))
      fail(node, "rule " + r.name + ": an 'unmatched: true' rule takes no 'match' or 'field'");
    if (r.match.empty() && !r.unmatched && source->format == Format::kText)
      fail(node, "rule " + r.name + ": 'match' is required for a text source");
    if (!r.field.empty() && source->format != Format::kJson)
      fail(node, "rule " + r.name + ": 'field' is for json sources");
    std::set<std::string> metric_names;
    for (const auto& m : r.metrics)
      if (!metric_names.insert(m.name).second) fail(node, "rule " + r.name + ": duplicate metric '" + m.name + "'");
    return r;
  }

  // The same metric name in several rules is one family: same type and label names.
  void check_metric_families(const Config& cfg) const {
    std::map<std::string, const MetricSpec*> seen;
    for (const auto& r : cfg.rules) {
      for (const auto& m : r.metrics) {
        auto [it, inserted] = seen.emplace(m.name, &m);
        if (inserted) continue;
        const MetricSpec& first = *it->second;
        std::vector<std::string> a, b;
        for (const auto& l : first.labels) a.push_back(l.name);
        for (const auto& l : m.labels) b.push_back(l.name);
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        if (first.type != m.type || a != b || first.buckets != m.buckets || first.quantiles != m.quantiles) {
          throw ConfigError(file_ + ":" + std::to_string(m.line) + ":" + std::to_string(m.column) + ": metric " +
                            m.name + " is defined again with another type, labels or buckets (first at line " +
                            std::to_string(first.line) + ")");
        }
      }
    }
  }

  bool boolean(const YAML::Node& node, const std::string& key) const {
    std::string v = scalar(node, key);
    if (v != "true" && v != "false") fail(node, key + ": expected true or false, got '" + v + "'");
    return v == "true";
  }

  // A file named in the configuration, relative to the configuration file's directory (as
  // exporter-toolkit resolves the paths of its web configuration file).
  std::string file_path(const YAML::Node& node, const std::string& key) const {
    std::filesystem::path path(string(node, key));
    if (path.is_relative()) path = std::filesystem::path(file_).parent_path() / path;
    return path.lexically_normal().string();
  }

  static constexpr std::pair<std::string_view, TlsVersion> kTlsVersions[] = {
      {"TLS10", TlsVersion::kTls10}, {"TLS11", TlsVersion::kTls11},
      {"TLS12", TlsVersion::kTls12}, {"TLS13", TlsVersion::kTls13},
  };

  static std::string tls_version_name(TlsVersion version) {
    for (const auto& [name, v] : kTlsVersions)
      if (v == version) return std::string(name);
    return "?";
  }

  // min_version, max_version: exporter-toolkit's names.
  TlsVersion tls_version(const YAML::Node& node, const std::string& key) {
    std::string v = scalar(node, key);
    for (const auto& [name, version] : kTlsVersions)
      if (v == name) return version;
    fail(node, key + ": expected TLS10, TLS11, TLS12 or TLS13, got '" + v + "'");
  }

  TlsServerConfig tls_server_config(const YAML::Node& node) {
    TlsServerConfig tls;
    tls.line = node.Mark().line + 1;
    tls.column = node.Mark().column + 1;
    YAML::Node client_auth_node;
    YAML::Node max_version_node;
    for_each_key(node, "web.tls_server_config", {
        {"cert_file", [&](const YAML::Node& n) { tls.cert_file = file_path(n, "cert_file"); }},
        {"key_file", [&](const YAML::Node& n) { tls.key_file = file_path(n, "key_file"); }},
        {"client_ca_file", [&](const YAML::Node& n) { tls.client_ca_file = file_path(n, "client_ca_file"); }},
        {"client_auth_type", [&](const YAML::Node& n) {
           static const std::pair<std::string_view, ClientAuth> kTypes[] = {
               {"NoClientCert", ClientAuth::kNoClientCert},
               {"RequestClientCert", ClientAuth::kRequestClientCert},
               {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
               {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
               {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
           };
           std::string v = scalar(n, "client_auth_type");
           client_auth_node = n;
           for (const auto& [name, type] : kTypes)
             if (v == name) {
               tls.client_auth = type;
               return;
             }
           fail(n, "client_auth_type: expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
                   "VerifyClientCertIfGiven or RequireAndVerifyClientCert, got '" + v + "'");
         }},
        {"min_version", [&](const YAML::Node& n) { tls.min_version = tls_version(n, "min_version"); }},
        {"max_version", [&](const YAML::Node& n) {
           tls.max_version = tls_version(n, "max_version");
           max_version_node = n;
         }},
        {"cipher_suites", [&](const YAML::Node& n) {
           tls.cipher_suites = string_list(n, "cipher_suites");
           tls.cipher_suites_line = n.Mark().line + 1;
           tls.cipher_suites_column = n.Mark().column + 1;
         }},
    });
    // Go's crypto/tls would fail every handshake instead; here it is said at load.
    if (tls.max_version < tls.min_version)
      fail(max_version_node, "max_version " + tls_version_name(tls.max_version) + " is below min_version " +
                                 tls_version_name(tls.min_version));
    if (tls.cert_file.empty()) fail(node, "web.tls_server_config: 'cert_file' is required");
    if (tls.key_file.empty()) fail(node, "web.tls_server_config: 'key_file' is required");
    const bool verifies = tls.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                          tls.client_auth == ClientAuth::kRequireAndVerifyClientCert;
    if (verifies && tls.client_ca_file.empty())
      fail(client_auth_node, "client_auth_type: this type verifies client certificates, 'client_ca_file' is required");
    if (!tls.client_ca_file.empty() && tls.client_auth == ClientAuth::kNoClientCert)
      fail(node, "web.tls_server_config: 'client_ca_file' is set but client_auth_type is NoClientCert "
                 "(expected VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
    return tls;
  }

  // A bcrypt hash as crypt(3) writes it: $2a$, $2b$ or $2y$, a two-digit cost, 53 characters.
  static bool is_bcrypt(const std::string& hash) {
    if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$') return false;
    if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
    if (!std::isdigit(static_cast<unsigned char>(hash[4])) || !std::isdigit(static_cast<unsigned char>(hash[5])))
      return false;
    const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
    if (cost < 4 || cost > 31) return false;
    for (std::size_t i = 7; i < hash.size(); ++i) {
      const char c = hash[i];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '/') return false;
    }
    return true;
  }

  static bool is_header_token(const std::string& name) {
    if (name.empty()) return false;
    for (char c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos)
        return false;
    return true;
  }

  WebConfig web(const YAML::Node& node) {
    WebConfig web;
    for_each_key(node, "web", {
        {"tls_server_config", [&](const YAML::Node& n) {
           web.tls = true;
           web.tls_server = tls_server_config(n);
         }},
        {"basic_auth_users", [&](const YAML::Node& n) {
           if (!n.IsMap()) fail(n, "basic_auth_users: expected a mapping of user: bcrypt hash");
           std::set<std::string> seen;
           for (const auto& entry : n) {
             std::string user = string(entry.first, "a user name");
             if (user.find(':') != std::string::npos) fail(entry.first, "basic_auth_users: a user name cannot hold ':'");
             if (!seen.insert(user).second) fail(entry.first, "basic_auth_users: duplicate user '" + user + "'");
             std::string hash = string(entry.second, "basic_auth_users." + user);
             if (!is_bcrypt(hash))
               fail(entry.second, "basic_auth_users." + user +
                                      ": expected a bcrypt hash ($2y$10$ and 53 characters; make one with "
                                      "htpasswd -nBC 10 " + user + ")");
             web.basic_auth_users.push_back({user, hash});
           }
         }},
        {"http_server_config", [&](const YAML::Node& n) {
           for_each_key(n, "web.http_server_config", {
               {"headers", [&](const YAML::Node& h) {
                  if (!h.IsMap()) fail(h, "headers: expected a mapping of header: value");
                  // The server sets these itself; a second copy would contradict it.
                  static const std::set<std::string> kReserved = {
                      "connection", "content-length", "content-encoding", "content-type",
                      "transfer-encoding", "www-authenticate", "authorization"};
                  for (const auto& entry : h) {
                    std::string name = string(entry.first, "a header name");
                    if (!is_header_token(name)) fail(entry.first, "headers: bad header name '" + name + "'");
                    std::string lower = name;
                    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    if (kReserved.count(lower)) fail(entry.first, "headers: '" + name + "' is set by logpulse itself");
                    std::string value = scalar(entry.second, "headers." + name);
                    if (value.find_first_of("\r\n") != std::string::npos)
                      fail(entry.second, "headers." + name + ": expected a value on one line");
                    web.headers.emplace_back(name, value);
                  }
                }},
           });
         }},
        {"health_without_auth", [&](const YAML::Node& n) { web.health_without_auth = boolean(n, "health_without_auth"); }},
    });
    return web;
  }

  // The 1-based line and column of a node, as messages print them.
  static std::pair<int, int> position(const YAML::Node& node) {
    return {node.Mark().line + 1, node.Mark().column + 1};
  }

  // Where a scalar's text starts, for a reader that locates characters inside the value
  // (the alert compiler): yaml-cpp marks a node at its anchor or tag (`&a 'x'`, `!!str x`),
  // so those are stepped over when the value follows on the same line.
  struct ScalarStart {
    int line = 0, column = 0;  // 1-based, of the quote if quoted
    char quote = 0;            // '\'' or '"' when quoted, else 0 (plain or block)
  };

  ScalarStart scalar_start(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    ScalarStart start{mark.line + 1, mark.column + 1, 0};
    if (mark.pos < 0) return start;
    std::size_t pos = static_cast<std::size_t>(mark.pos);
    auto at = [&](std::size_t i) { return i < text_.size() ? text_[i] : '\n'; };
    std::size_t value = pos;
    while (at(value) == '&' || at(value) == '!') {
      while (at(value) != ' ' && at(value) != '\t' && at(value) != '\n') ++value;
      while (at(value) == ' ' || at(value) == '\t') ++value;
    }
    if (at(value) == '\n' || at(value) == '\r') value = pos;  // the value is on a later line: keep the mark
    start.column += static_cast<int>(value - pos);
    const char c = at(value);
    if (c == '\'' || c == '"') start.quote = c;
    return start;
  }

  static std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
  }

  // A window's `quantiles`: numbers in [0, 1], any order, no duplicates; stored ascending.
  std::vector<double> window_quantiles(const YAML::Node& node) const {
    if (!node.IsSequence() || node.size() == 0) fail(node, "quantiles: expected a non-empty list of numbers in [0, 1]");
    if (node.size() > kMaxWindowQuantiles)
      fail(node, "quantiles: " + std::to_string(node.size()) + " numbers, expected at most " +
                     std::to_string(kMaxWindowQuantiles));
    std::vector<double> out;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const double q = number(node[i], "quantiles");
      if (q < 0 || q > 1) fail(node[i], "quantiles: each must be in [0, 1], got '" + node[i].Scalar() + "'");
      if (std::find(out.begin(), out.end(), q) != out.end())
        fail(node[i], "quantiles: duplicate quantile '" + node[i].Scalar() + "'");
      out.push_back(q);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // One entry of `windows:`; `cfg` holds the rules already read, `earlier` the windows before.
  WindowConfig window(const YAML::Node& node, const Config& cfg, const std::vector<WindowConfig>& earlier) {
    WindowConfig w;
    std::tie(w.line, w.column) = position(node);
    // Nodes kept for messages once every key is read (a Node assigned over another would
    // rebind the first one's data, so these are emplaced).
    std::optional<YAML::Node> name_node, rule_node, of_node, by_node, quantiles_node, k_node;
    bool has_over = false, has_agg = false;
    std::string agg_text;
    for_each_key(node, "window", {
        {"name", [&](const YAML::Node& n) {
           w.name = string(n, "name");
           name_node.emplace(n);
           if (!is_metric_name(w.name))
             fail(n, "window name '" + w.name + "' is not a valid Prometheus metric name (expected [A-Za-z_:][A-Za-z0-9_:]*)");
         }},
        {"rule", [&](const YAML::Node& n) {
           w.rule = string(n, "rule");
           rule_node.emplace(n);
           std::tie(w.rule_line, w.rule_column) = position(n);
         }},
        {"over", [&](const YAML::Node& n) {
           w.over = duration(n, "over", kWindowOverRange);
           has_over = true;
         }},
        {"agg", [&](const YAML::Node& n) {
           agg_text = scalar(n, "agg");
           for (const auto& [name, agg] : kWindowAggs)
             if (agg_text == name) {
               w.agg = agg;
               has_agg = true;
               return;
             }
           fail(n, "agg: expected count, sum, avg, min, max, rate, quantile, distinct or topk, got '" + agg_text + "'");
         }},
        {"of", [&](const YAML::Node& n) {
           w.of = string(n, "of");
           of_node.emplace(n);
           std::tie(w.of_line, w.of_column) = position(n);
         }},
        {"by", [&](const YAML::Node& n) {
           w.by = string_list(n, "by");
           by_node.emplace(n);
           std::tie(w.by_line, w.by_column) = position(n);
           for (std::size_t i = 0; i < w.by.size(); ++i)
             w.by_positions.push_back(n.IsSequence() ? position(n[i]) : position(n));  // `by: a` is [a]
           std::set<std::string> seen;
           for (std::size_t i = 0; i < w.by.size(); ++i)
             if (!seen.insert(w.by[i]).second) fail(n[i], "by: duplicate capture '" + w.by[i] + "'");
         }},
        {"where", [&](const YAML::Node& n) {
           if (!n.IsMap()) fail(n, "where: expected a mapping of capture: pattern");
           for (const auto& entry : n) {
             std::string field = string(entry.first, "a where capture");
             for (const auto& earlier_where : w.where)
               if (earlier_where.field == field) fail(entry.first, "where: duplicate capture '" + field + "'");
             WindowWhere where{field, string(entry.second, "where." + field), 0, 0};
             std::tie(where.line, where.column) = position(entry.second);
             w.where.push_back(std::move(where));
           }
         }},
        {"quantiles", [&](const YAML::Node& n) {
           w.quantiles = window_quantiles(n);
           quantiles_node.emplace(n);
         }},
        {"k", [&](const YAML::Node& n) {
           w.k = integer(n, "k", 1, kMaxTopk);
           k_node.emplace(n);
         }},
        {"max_series", [&](const YAML::Node& n) { w.max_series = integer(n, "max_series", 1, kMaxWindowSeries); }},
    });
    if (w.name.empty()) fail(node, "window: 'name' is required");
    const std::string what = "window " + w.name;

    // The window is a gauge on /metrics beside the rules' metrics, ALERTS and self-metrics.
    if (w.name.rfind("logpulse_", 0) == 0) fail(*name_node, what + ": names starting with logpulse_ are reserved");
    if (w.name == "ALERTS" || w.name == "ALERTS_FOR_STATE")
      fail(*name_node, what + ": " + w.name + " is the series of alerts (expected another name)");
    for (const auto& other : earlier)
      if (other.name == w.name)
        fail(*name_node, "duplicate window name '" + w.name + "' (first at line " + std::to_string(other.line) + ")");
    for (const auto& r : cfg.rules)
      for (const auto& m : r.metrics)
        if (const auto series = exported_names(m); std::find(series.begin(), series.end(), w.name) != series.end())
          fail(*name_node, what + ": the name is already exported by metric " + m.name + " of rule " + r.name +
                              " (expected a name of its own)");

    if (w.rule.empty()) fail(node, what + ": 'rule' is required");
    if (std::none_of(cfg.rules.begin(), cfg.rules.end(), [&](const Rule& r) { return r.name == w.rule; })) {
      std::vector<std::string> known;
      for (const auto& r : cfg.rules) known.push_back(r.name);
      fail(*rule_node, what + ": unknown rule '" + w.rule + "' (" +
                          (known.empty() ? std::string("no rules are configured") : "expected one of: " + joined(known)) + ")");
    }
    if (!has_over) fail(node, what + ": 'over' is required (the window's span, e.g. 5m)");
    if (!has_agg) fail(node, what + ": 'agg' is required (count, sum, avg, min, max, rate, quantile, distinct or topk)");

    const bool takes_of = w.agg != WindowAgg::kCount && w.agg != WindowAgg::kRate && w.agg != WindowAgg::kTopk;
    if (takes_of && w.of.empty())
      fail(node, what + ": agg " + agg_text + " needs 'of' (the capture " +
                     (w.agg == WindowAgg::kDistinct ? "whose distinct values are counted)" : "holding the value)"));
    if (!takes_of && of_node)
      fail(*of_node, what + ": agg " + agg_text + " takes no 'of' (it counts matching lines" +
                        (w.agg == WindowAgg::kTopk ? " per 'by' label set)" : ")"));
    if (w.agg == WindowAgg::kTopk && w.by.empty())
      fail(by_node ? *by_node : node, what + ": agg topk needs 'by' (the captures whose label sets are ranked)");
    if (w.agg == WindowAgg::kQuantile) {
      if (w.quantiles.empty()) fail(node, what + ": agg quantile needs 'quantiles' (e.g. [0.5, 0.9, 0.99])");
      // Each quantile is exported as a series with a `quantile` label.
      for (std::size_t i = 0; i < w.by.size(); ++i)
        if (w.by[i] == "quantile")
          fail(std::as_const(*by_node).IsSequence() ? std::as_const(*by_node)[i] : *by_node,
               what + ": by: 'quantile' is the label of a quantile window's series (expected another capture)");
    } else if (quantiles_node) {
      fail(*quantiles_node, what + ": 'quantiles' is for agg quantile");
    }
    if (w.agg != WindowAgg::kTopk && k_node) fail(*k_node, what + ": 'k' is for agg topk");
    return w;
  }

  // The series names a rule metric puts on /metrics.
  static std::vector<std::string> exported_names(const MetricSpec& m) {
    switch (m.type) {
      case MetricType::kHistogram: return {m.name, m.name + "_bucket", m.name + "_sum", m.name + "_count"};
      case MetricType::kSummary: return {m.name, m.name + "_sum", m.name + "_count"};
      default: return {m.name};
    }
  }

  // A label name an operator may set: [A-Za-z_][A-Za-z0-9_]*, not starting with __.
  void check_label_name(const YAML::Node& node, const std::string& key, const std::string& name) const {
    if (!is_identifier(name) || name.rfind("__", 0) == 0)
      fail(node, key + ": bad name '" + name + "' (expected [A-Za-z_][A-Za-z0-9_]*, not starting with __)");
  }

  // One entry of `alerts:`; `earlier` holds the alerts before it.
  AlertConfig alert(const YAML::Node& node, const std::vector<AlertConfig>& earlier) {
    AlertConfig a;
    std::tie(a.line, a.column) = position(node);
    std::optional<YAML::Node> name_node;
    for_each_key(node, "alert", {
        {"name", [&](const YAML::Node& n) {
           a.name = string(n, "name");
           name_node.emplace(n);
           if (!is_identifier(a.name)) fail(n, "alert name '" + a.name + "' is not valid (expected [A-Za-z_][A-Za-z0-9_]*)");
         }},
        {"expr", [&](const YAML::Node& n) {
           a.expr = string(n, "expr");
           const ScalarStart start = scalar_start(n);
           a.expr_line = start.line;
           a.expr_column = start.column;
           a.expr_quote = start.quote;
         }},
        {"for", [&](const YAML::Node& n) { a.for_duration = duration(n, "for", kAlertHoldRange); }},
        {"keep_firing_for", [&](const YAML::Node& n) { a.keep_firing_for = duration(n, "keep_firing_for", kAlertHoldRange); }},
        {"labels", [&](const YAML::Node& n) {
           if (!n.IsMap()) fail(n, "labels: expected a mapping of label: value");
           for (const auto& entry : n) {
             std::string name = scalar(entry.first, "a label name");
             check_label_name(entry.first, "labels", name);
             if (name == "alertname") fail(entry.first, "labels: 'alertname' is the alert's name (expected another label)");
             for (const auto& [earlier_name, unused] : a.labels)
               if (earlier_name == name) fail(entry.first, "labels: duplicate label '" + name + "'");
             a.labels.emplace_back(name, scalar(entry.second, "labels." + name));
           }
         }},
        {"annotations", [&](const YAML::Node& n) {
           if (!n.IsMap()) fail(n, "annotations: expected a mapping of name: template");
           for (const auto& entry : n) {
             std::string name = scalar(entry.first, "an annotation name");
             check_label_name(entry.first, "annotations", name);
             for (const auto& earlier_annotation : a.annotations)
               if (earlier_annotation.name == name) fail(entry.first, "annotations: duplicate annotation '" + name + "'");
             const ScalarStart start = scalar_start(entry.second);
             a.annotations.push_back(
                 {name, scalar(entry.second, "annotations." + name), start.line, start.column, start.quote});
           }
         }},
    });
    if (a.name.empty()) fail(node, "alert: 'name' is required");
    for (const auto& other : earlier)
      if (other.name == a.name)
        fail(*name_node, "duplicate alert name '" + a.name + "' (first at line " + std::to_string(other.line) + ")");
    if (a.expr.empty()) fail(node, "alert " + a.name + ": 'expr' is required");
    return a;
  }

  // An Alertmanager base URL: http:// or https://, a host, and what net::Url accepts, so
  // the sender is never handed a URL it cannot parse.
  void alertmanager_url(const YAML::Node& node, const std::string& key, AlertmanagerConfig& am) const {
    std::string text = string(node, key);
    if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0)
      fail(node, key + ": expected an http:// or https:// URL, got '" + text + "'");
    auto url = net::Url::parse(text);
    if (!url) fail(node, key + ": bad URL '" + text + "': " + url.error());
    for (std::size_t i = 0; i < am.urls.size(); ++i)
      if (auto other = net::Url::parse(am.urls[i]); other && other->str() == url->str())
        fail(node, key + ": duplicate URL '" + text + "' (the same Alertmanager as line " +
                       std::to_string(am.url_positions[i].first) + ")");
    am.urls.push_back(text);
    am.url_positions.push_back(position(node));
  }

  AlertmanagerConfig alertmanager(const YAML::Node& node) {
    AlertmanagerConfig am;
    std::tie(am.line, am.column) = position(node);
    bool has_url = false, has_urls = false;
    for_each_key(node, "alertmanager", {
        {"url", [&](const YAML::Node& n) {
           if (has_urls) fail(n, "alertmanager: 'url' and 'urls' are exclusive (expected one of them)");
           has_url = true;
           alertmanager_url(n, "alertmanager.url", am);
         }},
        {"urls", [&](const YAML::Node& n) {
           if (has_url) fail(n, "alertmanager: 'url' and 'urls' are exclusive (expected one of them)");
           has_urls = true;
           if (!n.IsSequence() || n.size() == 0) fail(n, "alertmanager.urls: expected a non-empty list of URLs");
           for (const auto& item : n) alertmanager_url(item, "alertmanager.urls", am);
         }},
        {"resend_interval", [&](const YAML::Node& n) {
           am.resend_interval = duration(n, "resend_interval", kResendIntervalRange);
         }},
        {"timeout", [&](const YAML::Node& n) { am.timeout = duration(n, "timeout", kAlertmanagerTimeoutRange); }},
    });
    if (!has_url && !has_urls) fail(node, "alertmanager: 'url' (or 'urls' for a cluster) is required");
    return am;
  }

  StatusConfig status(const YAML::Node& node) {
    StatusConfig status;
    for_each_key(node, "status", {
        {"unmatched_samples", [&](const YAML::Node& n) {
           status.unmatched_samples = integer(n, "unmatched_samples", 0, kMaxUnmatchedSamples);
         }},
    });
    return status;
  }

  // "${NAME}" replaced by the environment variable NAME ("$$" is one '$'); an unset
  // variable or an unclosed "${" is an error at the value.
  std::string expand_env(const YAML::Node& node, const std::string& key, const std::string& text) const {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '$' || i + 1 >= text.size()) {
        out += text[i];
      } else if (text[i + 1] == '$') {
        out += '$';
        ++i;
      } else if (text[i + 1] == '{') {
        const auto close = text.find('}', i + 2);
        if (close == std::string::npos) fail(node, key + ": unclosed '${' in '" + text + "' (expected ${NAME})");
        const std::string name = text.substr(i + 2, close - i - 2);
        if (!is_identifier(name)) fail(node, key + ": bad variable name '" + name + "' in '" + text + "'");
        const char* value = std::getenv(name.c_str());
        if (value == nullptr)
          fail(node, key + ": the environment variable " + name + " is not set (write $$ for a literal '$')");
        out += value;
        i = close;
      } else {
        out += text[i];
      }
    }
    return out;
  }

  std::vector<std::pair<std::string, std::string>> header_map(const YAML::Node& h, const std::string& key) const {
    if (!h.IsMap()) fail(h, key + ": expected a mapping of header: value");
    // Set by logpulse (remote write's protocol headers, and authentication from its keys).
    static const std::set<std::string> kReserved = {
        "connection", "content-length", "content-encoding", "content-type", "transfer-encoding", "host",
        "authorization", "user-agent", "x-prometheus-remote-write-version"};
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& entry : h) {
      std::string name = string(entry.first, "a header name");
      if (!is_header_token(name)) fail(entry.first, key + ": bad header name '" + name + "'");
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (kReserved.count(lower)) fail(entry.first, key + ": '" + name + "' is set by logpulse itself");
      std::string value = scalar(entry.second, key + "." + name);
      if (value.find_first_of("\r\n") != std::string::npos)
        fail(entry.second, key + "." + name + ": expected a value on one line");
      headers.emplace_back(name, value);
    }
    return headers;
  }

  void readable_file(const YAML::Node& node, const std::string& key, const std::string& path) const {
    std::ifstream in(path, std::ios::binary);
    if (!in || std::filesystem::is_directory(path))
      fail(node, key + ": cannot read '" + path + "' (" + std::strerror(errno) + ")");
  }

  // Prometheus' client tls_config. The files must be readable now; whether OpenSSL can use
  // them is checked where the context is built (tls::ClientTls::build), at load too.
  TlsClientConfig tls_client_config(const YAML::Node& node, const std::string& key) {
    TlsClientConfig tls;
    std::tie(tls.line, tls.column) = position(node);
    YAML::Node cert_node, key_node;
    auto file = [&](const YAML::Node& n, const std::string& name, std::string& path, int& line, int& column) {
      path = file_path(n, key + "." + name);
      readable_file(n, key + "." + name, path);
      std::tie(line, column) = position(n);
    };
    for_each_key(node, key, {
        {"ca_file", [&](const YAML::Node& n) { file(n, "ca_file", tls.ca_file, tls.ca_file_line, tls.ca_file_column); }},
        {"cert_file", [&](const YAML::Node& n) {
           cert_node = n;
           file(n, "cert_file", tls.cert_file, tls.cert_file_line, tls.cert_file_column);
         }},
        {"key_file", [&](const YAML::Node& n) {
           key_node = n;
           file(n, "key_file", tls.key_file, tls.key_file_line, tls.key_file_column);
         }},
        {"server_name", [&](const YAML::Node& n) {
           tls.server_name = string(n, key + ".server_name");
           if (tls.server_name.find_first_of(" \t\r\n/") != std::string::npos)
             fail(n, key + ".server_name: expected a host name or an IP address, got '" + tls.server_name + "'");
         }},
        {"insecure_skip_verify", [&](const YAML::Node& n) {
           tls.insecure_skip_verify = boolean(n, key + ".insecure_skip_verify");
         }},
        {"min_version", [&](const YAML::Node& n) { tls.min_version = tls_version(n, "min_version"); }},
    });
    if (!tls.cert_file.empty() && tls.key_file.empty())
      fail(cert_node, key + ": 'cert_file' is set without 'key_file' (a client certificate needs both)");
    if (!tls.key_file.empty() && tls.cert_file.empty())
      fail(key_node, key + ": 'key_file' is set without 'cert_file' (a client certificate needs both)");
    return tls;
  }

  RemoteWriteConfig remote_write(const YAML::Node& node, const std::vector<RemoteWriteConfig>& before) {
    RemoteWriteConfig rw;
    std::tie(rw.line, rw.column) = position(node);
    bool has_url = false, has_password = false, has_password_file = false;
    YAML::Node basic_auth_node, bearer_node;
    for_each_key(node, "remote_write", {
        {"url", [&](const YAML::Node& n) {
           has_url = true;
           std::string text = string(n, "remote_write.url");
           if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0)
             fail(n, "remote_write.url: expected an http:// or https:// URL, got '" + text + "'");
           auto url = net::Url::parse(text);
           if (!url) fail(n, "remote_write.url: bad URL '" + text + "': " + url.error());
           for (const auto& other : before)
             if (auto parsed = net::Url::parse(other.url); parsed && parsed->str() == url->str())
               fail(n, "remote_write.url: duplicate URL '" + text + "' (already at line " + std::to_string(other.line) + ")");
           rw.url = text;
         }},
        {"basic_auth", [&](const YAML::Node& n) {
           basic_auth_node = n;
           rw.basic_auth = true;
           for_each_key(n, "remote_write.basic_auth", {
               {"username", [&](const YAML::Node& v) { rw.username = string(v, "basic_auth.username"); }},
               {"password", [&](const YAML::Node& v) {
                  has_password = true;
                  rw.password = scalar(v, "basic_auth.password");
                }},
               {"password_file", [&](const YAML::Node& v) {
                  has_password_file = true;
                  rw.password_file = file_path(v, "basic_auth.password_file");
                  readable_file(v, "basic_auth.password_file", rw.password_file);
                }},
           });
           if (rw.username.empty()) fail(n, "remote_write.basic_auth: 'username' is required");
           if (has_password && has_password_file)
             fail(n, "remote_write.basic_auth: 'password' and 'password_file' are exclusive");
         }},
        {"bearer_token_file", [&](const YAML::Node& n) {
           bearer_node = n;
           rw.bearer_token_file = file_path(n, "remote_write.bearer_token_file");
           readable_file(n, "remote_write.bearer_token_file", rw.bearer_token_file);
         }},
        {"headers", [&](const YAML::Node& n) { rw.headers = header_map(n, "remote_write.headers"); }},
        {"write_interval", [&](const YAML::Node& n) {
           rw.write_interval = duration(n, "remote_write.write_interval", kWriteIntervalRange);
         }},
        {"remote_timeout", [&](const YAML::Node& n) {
           rw.remote_timeout = duration(n, "remote_write.remote_timeout", kRemoteTimeoutRange);
         }},
        {"queue", [&](const YAML::Node& n) {
           for_each_key(n, "remote_write.queue", {
               {"max_samples", [&](const YAML::Node& v) {
                  rw.max_samples = integer(v, "remote_write.queue.max_samples", 1, 100'000'000);
                }},
               {"max_bytes", [&](const YAML::Node& v) {
                  rw.max_bytes = integer(v, "remote_write.queue.max_bytes", 1024, std::uint64_t{64} << 30);
                }},
           });
         }},
        {"external_labels", [&](const YAML::Node& n) {
           if (!n.IsMap()) fail(n, "remote_write.external_labels: expected a mapping of label: value");
           std::set<std::string> seen;
           for (const auto& entry : n) {
             std::string name = string(entry.first, "a label name");
             if (!is_identifier(name) || name.rfind("__", 0) == 0)
               fail(entry.first, "remote_write.external_labels: bad label name '" + name +
                                     "' (expected [A-Za-z_][A-Za-z0-9_]*, not starting with __)");
             if (!seen.insert(name).second)
               fail(entry.first, "remote_write.external_labels: duplicate label '" + name + "'");
             std::string value = expand_env(entry.second, "remote_write.external_labels." + name,
                                            scalar(entry.second, "remote_write.external_labels." + name));
             if (!core::is_valid_utf8(value))
               fail(entry.second, "remote_write.external_labels." + name + ": expected UTF-8 text after expansion");
             rw.external_labels.emplace_back(name, std::move(value));
           }
           std::sort(rw.external_labels.begin(), rw.external_labels.end());
         }},
        {"tls_config", [&](const YAML::Node& n) { rw.tls = tls_client_config(n, "remote_write.tls_config"); }},
    });
    if (!has_url) fail(node, "remote_write: 'url' is required");
    if (rw.basic_auth && !rw.bearer_token_file.empty())
      fail(bearer_node, "remote_write: 'basic_auth' and 'bearer_token_file' are exclusive");
    return rw;
  }

  Config config(const YAML::Node& root) {
    Config cfg;
    cfg.file = file_;
    YAML::Node rules_node(YAML::NodeType::Sequence);
    YAML::Node windows_node(YAML::NodeType::Sequence);  // read once the rules it names are
    if (root.IsNull()) fail(root, "the configuration is empty, expected a mapping with sources:");
    bool has_sources = false;
    for_each_key(root, "the configuration", {
        {"listen", [&](const YAML::Node& n) {
           cfg.listen.clear();
           if (n.IsScalar()) cfg.listen.push_back(listen_address(n));
           else if (n.IsSequence()) for (const auto& item : n) cfg.listen.push_back(listen_address(item));
           else fail(n, "listen: expected a list of host:port");
           if (cfg.listen.empty()) fail(n, "listen: expected at least one host:port");
         }},
        {"state_dir", [&](const YAML::Node& n) { cfg.state_dir = string(n, "state_dir"); }},
        {"checkpoint_interval", [&](const YAML::Node& n) {
           cfg.checkpoint_interval = duration(n, "checkpoint_interval", kCheckpointIntervalRange);
         }},
        {"watcher", [&](const YAML::Node& n) {
           std::string v = scalar(n, "watcher");
           if (v == "auto" || v == "inotify") cfg.watcher = WatcherKind::kAuto;
           else if (v == "poll") cfg.watcher = WatcherKind::kPoll;
           else fail(n, "watcher: expected 'auto' or 'poll', got '" + v + "'");
         }},
        {"poll_interval", [&](const YAML::Node& n) {
           cfg.poll_interval = duration(n, "poll_interval", kPollIntervalRange);
         }},
        {"rescan_interval", [&](const YAML::Node& n) {
           cfg.rescan_interval = duration(n, "rescan_interval", kRescanIntervalRange);
         }},
        {"sources", [&](const YAML::Node& n) {
           has_sources = true;
           if (!n.IsSequence()) fail(n, "sources: expected a list of sources");
           std::set<std::string> names;
           for (const auto& item : n) {
             Source src = source(item);
             if (!names.insert(src.name).second) fail(item, "duplicate source name '" + src.name + "'");
             cfg.sources.push_back(std::move(src));
           }
         }},
        {"patterns", [&](const YAML::Node& n) {
           if (!n.IsMap()) fail(n, "patterns: expected a mapping of NAME: pattern");
           for (const auto& entry : n) {
             std::string name = scalar(entry.first, "a pattern name");
             if (!is_identifier(name)) fail(entry.first, "patterns: bad name '" + name + "' (letters, digits, _)");
             cfg.patterns.push_back(NamedPattern{name, string(entry.second, "patterns." + name)});
           }
         }},
        {"rules", [&](const YAML::Node& n) {
           if (!n.IsSequence()) fail(n, "rules: expected a list of rules");
           rules_node = n;
         }},
        {"windows", [&](const YAML::Node& n) {
           if (!n.IsSequence()) fail(n, "windows: expected a list of windows");
           windows_node = n;
         }},
        {"alerts", [&](const YAML::Node& n) {
           if (!n.IsSequence()) fail(n, "alerts: expected a list of alerts");
           for (const auto& item : n) cfg.alerts.push_back(alert(item, cfg.alerts));
         }},
        {"alertmanager", [&](const YAML::Node& n) { cfg.alertmanager = alertmanager(n); }},
        {"web", [&](const YAML::Node& n) { cfg.web = web(n); }},
        {"evaluation_interval", [&](const YAML::Node& n) {
           cfg.evaluation_interval = duration(n, "evaluation_interval", kEvaluationIntervalRange);
         }},
        {"status", [&](const YAML::Node& n) { cfg.status = status(n); }},
        {"remote_write", [&](const YAML::Node& n) {
           if (!n.IsSequence()) fail(n, "remote_write: expected a list of receivers (- url: ...)");
           for (const auto& item : n) cfg.remote_write.push_back(remote_write(item, cfg.remote_write));
         }},
    });
    if (!has_sources || cfg.sources.empty()) fail(root, "'sources' is required (at least one source)");
    std::set<std::string> rule_names;
    for (const auto& item : rules_node) {
      Rule r = rule(item, cfg);
      if (!rule_names.insert(r.name).second) fail(item, "duplicate rule name '" + r.name + "'");
      cfg.rules.push_back(std::move(r));
    }
    check_metric_families(cfg);
    for (const auto& item : windows_node) cfg.windows.push_back(window(item, cfg, cfg.windows));
    return cfg;
  }

 private:
  std::string file_;
  std::string_view text_;
};

}  // namespace

namespace {
constexpr std::size_t kMaxMessageBytes = 1000;

std::string printable(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;
    } else if (c == '\0') {
      out += "\\0";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  // A 70,000-byte value quoted back helps nobody: keep the start, whole UTF-8 characters.
  if (out.size() > kMaxMessageBytes) {
    std::size_t cut = kMaxMessageBytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    const std::size_t more = out.size() - cut;
    out.resize(cut);
    out += "... (" + std::to_string(more) + " more bytes)";
  }
  return out;
}
}  // namespace

ConfigError::ConfigError(const std::string& message) : std::runtime_error(printable(message)) {}

Config load_string(const std::string& yaml_text, const std::string& name) {
  if (is_blank_yaml(yaml_text))
    throw ConfigError(name + ":1:1: the file is empty, expected a mapping with sources:");
  Reader reader(name, yaml_text);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(place(name, e.mark) + yaml_error_text(e));
  }
  return reader.config(root);
}

Config load_file(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (std::filesystem::is_directory(status)) throw ConfigError(path + ": is a directory, expected a YAML file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ":1:1: cannot read the configuration file (" + std::strerror(errno) + ")");
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes)
      throw ConfigError(path + ":1:1: the file is larger than " + std::to_string(kMaxConfigBytes >> 20) +
                        " MiB, expected a YAML configuration");
  }
  if (in.bad()) throw ConfigError(path + ":1:1: cannot read the configuration file");
  return load_string(text, path);
}

}  // namespace logpulse::config
