// The typed configuration of logpulse, produced once by config::load() and read-only after.
// Plain values: copy freely; safe for concurrent reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace logpulse::config {

enum class StartAt { kEnd, kBeginning };
enum class Format { kText, kJson };
enum class MetricType { kCounter, kGauge, kHistogram, kSummary };
enum class WatcherKind { kAuto, kPoll };

struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
  unsigned short port = 0;
};

struct Source {
  std::string name;
  std::vector<std::string> paths;    // globs, rescanned
  std::vector<std::string> exclude;  // globs on the base name (or the whole path if it has '/')
  StartAt start_at = StartAt::kEnd;
  std::size_t max_line_bytes = 65536;
  std::chrono::milliseconds rotate_wait{5000};  // how long a rotated-away file is drained
  Format format = Format::kText;
  std::string multiline_start;                  // RE2; empty: every line is a record
  std::chrono::milliseconds multiline_timeout{1000};
  int line = 0, column = 0;                     // where it was defined, for messages
  int multiline_line = 0, multiline_column = 0; // where multiline.start is
};

// Where a label's value comes from: a capture (or JSON field) or a constant.
struct LabelSpec {
  std::string name;
  std::string capture;   // empty for a constant label
  std::string constant;
};

struct MetricSpec {
  std::string name;
  MetricType type = MetricType::kCounter;
  std::string help;
  std::vector<LabelSpec> labels;
  std::string value;                 // capture holding the number; empty: counter adds 1
  std::vector<double> buckets;       // histogram upper bounds, ascending
  std::vector<double> quantiles;     // summary
  std::chrono::milliseconds summary_max_age{600000};
  int line = 0, column = 0;          // where it was defined, for messages
};

struct TimestampSpec {
  std::string field;
  std::string layout;
};

struct Rule {
  std::string name;
  std::string source;
  std::string match;                 // as written, before %{NAME} expansion; may be empty for json
  int match_line = 0, match_column = 0;  // where `match` is, for messages
  std::string field;                 // json: match this field instead of the whole line
  bool unmatched = false;            // fires for lines no other rule of the source matched
  TimestampSpec timestamp;           // field empty: no event time
  std::vector<MetricSpec> metrics;
  std::size_t max_series = 10000;
  std::chrono::milliseconds expire_after{0};  // 0: never
  int line = 0, column = 0;
};

struct NamedPattern {
  std::string name;
  std::string pattern;
};

// web: in the shape of Prometheus' exporter-toolkit web configuration.
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};
enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

struct TlsServerConfig {
  // Paths as written, made absolute against the configuration file's directory.
  std::string cert_file, key_file, client_ca_file;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;  // never below min_version (checked at load)
  std::vector<std::string> cipher_suites;  // IANA names as Go spells them; empty: OpenSSL's
  int line = 0, column = 0;                // where tls_server_config is, for messages
  int cipher_suites_line = 0, cipher_suites_column = 0;
  bool operator==(const TlsServerConfig&) const = default;
};

// remote_write[].tls_config: in the shape of Prometheus' common tls_config (client side).
struct TlsClientConfig {
  // Paths as written, made absolute against the configuration file's directory; empty: not set
  // (no ca_file: the system's CA store).
  std::string ca_file, cert_file, key_file;
  std::string server_name;          // SNI and the name checked; empty: the URL's host
  bool insecure_skip_verify = false;
  TlsVersion min_version = TlsVersion::kTls12;
  int line = 0, column = 0;         // where tls_config is; 0: not given
  // Where each file's value is, for messages about the file.
  int ca_file_line = 0, ca_file_column = 0, cert_file_line = 0, cert_file_column = 0;
  int key_file_line = 0, key_file_column = 0;
  bool operator==(const TlsClientConfig&) const = default;
};

struct BasicAuthUser {
  std::string name;
  std::string hash;  // bcrypt: $2y$ / $2b$ / $2a$
  bool operator==(const BasicAuthUser&) const = default;
};

struct WebConfig {
  bool tls = false;                     // tls_server_config given
  TlsServerConfig tls_server;
  std::vector<BasicAuthUser> basic_auth_users;  // empty: no authentication
  std::vector<std::pair<std::string, std::string>> headers;  // http_server_config.headers
  bool health_without_auth = false;
  bool operator==(const WebConfig&) const = default;
};

// windows: one sliding window over a rule's match records (SPEC.md "windows").
enum class WindowAgg { kCount, kSum, kAvg, kMin, kMax, kRate, kQuantile, kDistinct, kTopk };
// Each `agg` with its name in the configuration, in enum order.
inline constexpr std::pair<const char*, WindowAgg> kWindowAggs[] = {
    {"count", WindowAgg::kCount}, {"sum", WindowAgg::kSum},           {"avg", WindowAgg::kAvg},
    {"min", WindowAgg::kMin},     {"max", WindowAgg::kMax},           {"rate", WindowAgg::kRate},
    {"quantile", WindowAgg::kQuantile}, {"distinct", WindowAgg::kDistinct}, {"topk", WindowAgg::kTopk},
};
// The configuration's name of `agg` ("count", "quantile", ...).
constexpr const char* agg_name(WindowAgg agg) { return kWindowAggs[static_cast<int>(agg)].first; }

struct WindowWhere {
  std::string field;    // a capture (or JSON field) of the rule
  std::string pattern;  // RE2, must match the whole captured value
  int line = 0, column = 0;  // of the pattern scalar
};

struct WindowConfig {
  std::string name;  // a metric name: the gauge it is exported as
  std::string rule;
  WindowAgg agg = WindowAgg::kCount;
  std::chrono::milliseconds over{60000};
  std::string of;                   // capture: the value (sum avg min max quantile) or key (distinct)
  std::vector<std::string> by;      // captures grouping the window into label sets
  std::vector<WindowWhere> where;   // every pattern must match for a record to count
  std::vector<double> quantiles;    // quantile: each in [0, 1], ascending, no duplicates
  std::size_t k = 10;               // topk
  std::size_t max_series = 10000;   // label sets held
  int line = 0, column = 0;         // where the entry starts
  int rule_line = 0, rule_column = 0, of_line = 0, of_column = 0, by_line = 0, by_column = 0;
  std::vector<std::pair<int, int>> by_positions;  // line, column of each `by` item
};

// alerts: one alerting rule (SPEC.md "alerts"), Prometheus' semantics.
struct AlertAnnotation {
  std::string name;
  std::string text;  // a template: {{ $value }}, {{ $labels.NAME }}
  int line = 0, column = 0;  // of the value scalar (a quote, if quoted), past any &anchor or !tag
  char quote = 0;            // 0 plain, '\'' or '"'
};

struct AlertConfig {
  std::string name;
  std::string expr;
  int expr_line = 0, expr_column = 0;  // of the expr scalar (a quote, if quoted), past any &anchor or !tag
  char expr_quote = 0;                 // 0 plain, '\'' or '"'
  std::chrono::milliseconds for_duration{0};
  std::chrono::milliseconds keep_firing_for{0};
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<AlertAnnotation> annotations;
  int line = 0, column = 0;
};

struct AlertmanagerConfig {
  std::vector<std::string> urls;  // empty: no delivery; http:// or https:// base URLs
  std::chrono::milliseconds resend_interval{60000};
  std::chrono::milliseconds timeout{10000};  // per attempt (connect + exchange)
  int line = 0, column = 0;
  std::vector<std::pair<int, int>> url_positions;  // line, column of each URL scalar
};

// remote_write: one receiver of Prometheus remote write 1.0 (SPEC.md, README "Remote write").
struct RemoteWriteConfig {
  std::string url;                   // http:// or https://
  bool basic_auth = false;
  std::string username, password;    // password, or password_file (read at each request)
  std::string password_file;         // made absolute against the configuration's directory
  std::string bearer_token_file;     // likewise; "Authorization: Bearer <its content>"
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds write_interval{15000};
  std::chrono::milliseconds remote_timeout{30000};  // per attempt (connect + exchange)
  std::size_t max_samples = 500000;  // queue bounds; beyond them the oldest are dropped
  std::size_t max_bytes = 64u << 20;
  std::vector<std::pair<std::string, std::string>> external_labels;  // ${ENV} expanded, sorted
  TlsClientConfig tls;               // used for https URLs
  int line = 0, column = 0;
  bool operator==(const RemoteWriteConfig&) const = default;
};

struct StatusConfig {
  std::size_t unmatched_samples = 10;  // last N unmatched lines per source; 0 = off
};

struct Config {
  std::string file;  // where it was loaded from, for messages
  std::vector<ListenAddress> listen{{"127.0.0.1", 9273}};
  std::string state_dir = "./logpulse-state";
  std::chrono::milliseconds checkpoint_interval{5000};
  WatcherKind watcher = WatcherKind::kAuto;
  std::chrono::milliseconds poll_interval{250};
  std::chrono::milliseconds rescan_interval{1000};
  std::vector<Source> sources;
  std::vector<NamedPattern> patterns;
  std::vector<Rule> rules;
  WebConfig web;
  std::vector<WindowConfig> windows;
  std::vector<AlertConfig> alerts;
  AlertmanagerConfig alertmanager;
  std::chrono::milliseconds evaluation_interval{1000};
  StatusConfig status;
  std::vector<RemoteWriteConfig> remote_write;
};

}  // namespace logpulse::config
