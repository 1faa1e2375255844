#include "config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "config/duration.h"
#include "tail/glob.h"

namespace logpulse::config {
namespace {

// Reads one YAML document, turning every problem into a ConfigError that names the place.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& what) const {
    const YAML::Mark mark = node.Mark();
    std::ostringstream out;
    out << file_ << ':' << (mark.line + 1) << ':' << (mark.column + 1) << ": " << what;
    throw ConfigError(out.str());
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
    return node.Scalar();
  }

  std::string string(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar() || node.Scalar().empty()) fail(node, key + ": expected a non-empty string");
    return node.Scalar();
  }

  std::chrono::milliseconds duration(const YAML::Node& node, const std::string& key) const {
    auto parsed = parse_duration(scalar(node, key + " duration"));
    if (!parsed) fail(node, key + ": bad duration '" + node.Scalar() + "' (expected e.g. 250ms, 5s, 1m, 2h, 1d)");
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
    if (!digits || std::stoul(port_text) > 65535) fail(node, "listen: bad port '" + port_text + "'");
    address.port = static_cast<unsigned short>(std::stoul(port_text));
    return address;
  }

  Source source(const YAML::Node& node) {
    Source src;
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
        {"rotate_wait", [&](const YAML::Node& n) { src.rotate_wait = duration(n, "rotate_wait"); }},
        {"multiline", [&](const YAML::Node& n) { unsupported(n, "multiline"); }},
        {"format", [&](const YAML::Node& n) {
           if (scalar(n, "format") != "text") unsupported(n, "format: json");
         }},
    });
    if (src.name.empty()) fail(node, "source: 'name' is required");
    if (!has_paths || src.paths.empty()) fail(node, "source '" + src.name + "': 'paths' is required");
    return src;
  }

  [[noreturn]] void unsupported(const YAML::Node& node, const std::string& what) const {
    fail(node, "'" + what + "' is not supported by logpulse " LOGPULSE_VERSION " yet");
  }

  Config config(const YAML::Node& root) {
    Config cfg;
    cfg.file = file_;
    if (root.IsNull()) fail(root, "the configuration is empty (expected a mapping with 'sources')");
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
           cfg.checkpoint_interval = duration(n, "checkpoint_interval");
           if (cfg.checkpoint_interval.count() <= 0) fail(n, "checkpoint_interval: must be positive");
         }},
        {"watcher", [&](const YAML::Node& n) {
           std::string v = scalar(n, "watcher");
           if (v == "auto" || v == "inotify") cfg.watcher = WatcherKind::kAuto;
           else if (v == "poll") cfg.watcher = WatcherKind::kPoll;
           else fail(n, "watcher: expected 'auto' or 'poll', got '" + v + "'");
         }},
        {"poll_interval", [&](const YAML::Node& n) {
           cfg.poll_interval = duration(n, "poll_interval");
           if (cfg.poll_interval.count() <= 0) fail(n, "poll_interval: must be positive");
         }},
        {"rescan_interval", [&](const YAML::Node& n) {
           cfg.rescan_interval = duration(n, "rescan_interval");
           if (cfg.rescan_interval.count() <= 0) fail(n, "rescan_interval: must be positive");
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
        {"patterns", [&](const YAML::Node& n) { unsupported(n, "patterns"); }},
        {"rules", [&](const YAML::Node& n) { unsupported(n, "rules"); }},
        {"windows", [&](const YAML::Node& n) { unsupported(n, "windows"); }},
        {"alerts", [&](const YAML::Node& n) { unsupported(n, "alerts"); }},
        {"alertmanager", [&](const YAML::Node& n) { unsupported(n, "alertmanager"); }},
        {"web", [&](const YAML::Node& n) { unsupported(n, "web"); }},
        {"evaluation_interval", [&](const YAML::Node& n) { unsupported(n, "evaluation_interval"); }},
    });
    if (!has_sources || cfg.sources.empty()) fail(root, "'sources' is required (at least one source)");
    return cfg;
  }

 private:
  std::string file_;
};

}  // namespace

Config load_string(const std::string& yaml_text, const std::string& name) {
  Reader reader(name);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    std::ostringstream out;
    out << name << ':' << (e.mark.line + 1) << ':' << (e.mark.column + 1) << ": " << e.msg;
    throw ConfigError(out.str());
  }
  return reader.config(root);
}

Config load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ":1:1: cannot read the configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  return load_string(text.str(), path);
}

}  // namespace logpulse::config
