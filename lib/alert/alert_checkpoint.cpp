#include "alert/alert_checkpoint.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/text_escape.h"

namespace logpulse::alert {
namespace {

std::int64_t to_ns(WallTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

WallTime from_ns(std::int64_t ns) {
  return WallTime{std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds(ns))};
}

void put(std::string& line, std::string_view token) {
  if (!line.empty()) line += ' ';
  line += token;
}

void put_labels(std::string& line, const Labels& labels) {
  put(line, std::to_string(labels.size()));
  for (const auto& [k, v] : labels) {
    put(line, core::encode_token(k));
    put(line, core::encode_token(v));
  }
}

class Reader {
 public:
  explicit Reader(std::string_view line) : rest_(line) {}

  std::optional<std::string_view> raw() {
    while (!rest_.empty() && rest_.front() == ' ') rest_.remove_prefix(1);
    if (rest_.empty()) return std::nullopt;
    const std::size_t end = std::min(rest_.find(' '), rest_.size());
    std::string_view token = rest_.substr(0, end);
    rest_.remove_prefix(end);
    return token;
  }
  std::optional<std::string> text() {
    auto t = raw();
    std::string out;
    if (!t || !core::decode_token(*t, out)) return std::nullopt;
    return out;
  }
  template <typename Number>
  std::optional<Number> number() {
    auto t = raw();
    Number n{};
    if (!t) return std::nullopt;
    auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), n);
    if (ec != std::errc() || end != t->data() + t->size()) return std::nullopt;
    return n;
  }
  std::optional<Labels> labels() {
    auto n = number<std::size_t>();
    if (!n || *n > 10000) return std::nullopt;
    Labels out;
    for (std::size_t i = 0; i < *n; ++i) {
      auto k = text();
      auto v = text();
      if (!k || !v) return std::nullopt;
      out.emplace_back(std::move(*k), std::move(*v));
    }
    return sorted_labels(std::move(out));
  }
  bool done() { return !raw().has_value(); }

 private:
  std::string_view rest_;
};

std::optional<SavedAlert> decode_line(std::string_view line) {
  Reader r(line);
  if (r.raw() != std::optional<std::string_view>("v1")) return std::nullopt;
  SavedAlert s;
  auto rule = r.text();
  auto state = r.raw();
  if (!rule || !state) return std::nullopt;
  s.rule = std::move(*rule);
  if (*state == "pending") {
    s.alert.state = AlertState::kPending;
  } else if (*state == "firing") {
    s.alert.state = AlertState::kFiring;
  } else if (*state == "inactive") {
    s.alert.state = AlertState::kInactive;
  } else {
    return std::nullopt;
  }
  for (WallTime* t : {&s.alert.active_at, &s.alert.fired_at, &s.alert.resolved_at, &s.alert.last_sent_at,
                      &s.alert.keep_firing_since, &s.alert.valid_until}) {
    auto ns = r.number<std::int64_t>();
    if (!ns) return std::nullopt;
    *t = from_ns(*ns);
  }
  auto value = r.number<double>();
  auto labels = r.labels();
  auto annotations = labels ? r.labels() : std::nullopt;
  if (!value || !labels || !annotations || !r.done()) return std::nullopt;
  s.alert.value = *value;
  s.alert.labels = std::move(*labels);
  s.alert.annotations = std::move(*annotations);
  return s;
}

}  // namespace

std::vector<std::string> encode_alert_checkpoint(const std::vector<SavedAlert>& alerts) {
  std::vector<std::string> lines;
  lines.reserve(alerts.size());
  for (const auto& [rule, a] : alerts) {
    std::string line = "v1";
    put(line, core::encode_token(rule));
    put(line, state_name(a.state));
    for (WallTime t : {a.active_at, a.fired_at, a.resolved_at, a.last_sent_at, a.keep_firing_since, a.valid_until}) {
      put(line, std::to_string(to_ns(t)));
    }
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, a.value);
    (void)ec;
    put(line, std::string_view(buf, static_cast<std::size_t>(end - buf)));
    put_labels(line, a.labels);
    put_labels(line, a.annotations);
    lines.push_back(std::move(line));
  }
  return lines;
}

AlertCheckpointLoad decode_alert_checkpoint(const std::vector<std::string>& lines) {
  AlertCheckpointLoad load;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (auto s = decode_line(lines[i])) {
      load.alerts.push_back(std::move(*s));
    } else if (bad++ == 0) {
      load.problem = "alert checkpoint line " + std::to_string(i + 1) + " is malformed";
    }
  }
  if (bad > 1) load.problem += " (and " + std::to_string(bad - 1) + " more)";
  return load;
}

}  // namespace logpulse::alert
