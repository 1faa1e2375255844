#include "alert/alert_json.h"

#include "alert/value_format.h"
#include "core/text_escape.h"

namespace logpulse::alert {
namespace {

void put_string(std::string& out, std::string_view s) {
  out += '"';
  out += core::json_escape(s);
  out += '"';
}

void put_object(std::string& out, const Labels& labels) {
  out += '{';
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    put_string(out, labels[i].first);
    out += ':';
    put_string(out, labels[i].second);
  }
  out += '}';
}

}  // namespace

std::string api_alerts_json(const std::vector<Alert>& alerts) {
  std::string out = R"({"status":"success","data":{"alerts":[)";
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    const Alert& a = alerts[i];
    if (i) out += ',';
    out += R"({"labels":)";
    put_object(out, a.labels);
    out += R"(,"annotations":)";
    put_object(out, a.annotations);
    out += R"(,"state":)";
    put_string(out, state_name(a.state));
    out += R"(,"activeAt":)";
    put_string(out, rfc3339_nano(a.active_at));
    if (a.keep_firing_since != WallTime{}) {
      out += R"(,"keepFiringSince":)";
      put_string(out, rfc3339_nano(a.keep_firing_since));
    }
    out += R"(,"value":)";
    put_string(out, format_value_exponent(a.value));
    out += '}';
  }
  out += "]}}";
  return out;
}

std::string alertmanager_body(const std::vector<Notification>& notifications, std::string_view generator_url) {
  std::string out = "[";
  for (std::size_t i = 0; i < notifications.size(); ++i) {
    const Notification& n = notifications[i];
    if (i) out += ',';
    out += R"({"labels":)";
    put_object(out, n.alert.labels);
    out += R"(,"annotations":)";
    put_object(out, n.alert.annotations);
    out += R"(,"startsAt":)";
    put_string(out, rfc3339_millis(n.starts_at));
    out += R"(,"endsAt":)";
    put_string(out, rfc3339_millis(n.ends_at));
    if (!generator_url.empty()) {
      out += R"(,"generatorURL":)";
      put_string(out, generator_url);
    }
    out += '}';
  }
  out += ']';
  return out;
}

}  // namespace logpulse::alert
