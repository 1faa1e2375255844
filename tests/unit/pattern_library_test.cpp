#include <doctest/doctest.h>

#include <re2/re2.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "match/pattern_library.h"

using namespace logpulse::match;

namespace {

using PatternMap = std::map<std::string, std::string, std::less<>>;
using Captures = std::map<std::string, std::string>;

const PatternMap kNoUserPatterns;

RE2::Options options_for(RE2::Options::Encoding encoding) {
  RE2::Options options;
  options.set_encoding(encoding);
  options.set_log_errors(false);
  return options;
}

bool full_match(std::string_view expression, std::string_view text,
                RE2::Options::Encoding encoding = RE2::Options::EncodingUTF8) {
  const RE2 re(expand_patterns(expression, kNoUserPatterns), options_for(encoding));
  REQUIRE_MESSAGE(re.ok(), re.error());
  return RE2::FullMatch(text, re);
}

// The named captures of a full match of `expression` against `line` (only the groups that
// took part), or nullopt when the line does not match.
std::optional<Captures> parse(std::string_view expression, std::string_view line,
                              RE2::Options::Encoding encoding = RE2::Options::EncodingUTF8) {
  const RE2 re(expand_patterns(expression, kNoUserPatterns), options_for(encoding));
  REQUIRE_MESSAGE(re.ok(), re.error());
  std::vector<re2::StringPiece> groups(re.NumberOfCapturingGroups() + 1);
  if (!re.Match(line, 0, line.size(), RE2::ANCHOR_BOTH, groups.data(),
                static_cast<int>(groups.size()))) {
    return std::nullopt;
  }
  Captures captures;
  for (const auto& [name, index] : re.NamedCapturingGroups()) {
    if (groups[index].data() != nullptr) captures[name] = std::string(groups[index]);
  }
  return captures;
}

std::string error_of(std::string_view expression, const PatternMap& user = kNoUserPatterns) {
  try {
    expand_patterns(expression, user);
  } catch (const PatternError& e) {
    return e.what();
  }
  return "";
}

struct Examples {
  std::vector<std::string> matching;
  std::vector<std::string> rejected;
};

// Lines written by the shared benchmark generator (../shared/bench/gen_access_log.py --seed 1;
// nginx combined + request time), valid ones of every shape: IPv4 and IPv6 clients, an auth
// user, "-" sizes (204, 304, HEAD, OPTIONS), query strings, HTTP/1.0, /1.1 and /2.0, a 0.000
// and a 60 s request time.
const std::vector<std::string> kBenchValidLines = {
    R"(66.157.101.64 - - [25/Nov/2024:00:00:00 +0000] "GET /static/img/product-0202.jpg HTTP/1.1" 200 18120 "https://www.reddit.com/r/programming/" "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36" 0.003)",
    R"(2001:db8:2cb1:6489::db77 - - [25/Nov/2024:00:00:00 +0000] "GET /api/v1/orders HTTP/1.1" 200 2604 "-" "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1" 0.026)",
    R"(2001:db8:79a6:932::634e - - [25/Nov/2024:00:00:00 +0000] "PUT /api/v1/orders/50202 HTTP/1.1" 204 - "https://shop.example.com/products/1333" "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0" 0.124)",
    R"(2001:db8:2cb1:6489::db77 - - [25/Nov/2024:00:00:00 +0000] "GET /search?q=laptop+bag HTTP/1.1" 200 8735 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" 0.067)",
    R"(31.90.61.14 - bob [25/Nov/2024:00:00:00 +0000] "POST /api/v1/items/1112 HTTP/1.1" 201 416 "-" "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1" 0.051)",
    R"(31.253.250.39 - mallory [25/Nov/2024:00:00:00 +0000] "HEAD /api/v1/items/353 HTTP/1.1" 200 - "https://shop.example.com/products/2221" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15" 0.027)",
    R"(10.0.3.17 - - [25/Nov/2024:00:00:00 +0000] "GET /readyz HTTP/2.0" 200 3 "-" "kube-probe/1.29" 0.000)",
    R"L(81.167.38.124 - - [25/Nov/2024:00:00:00 +0000] "OPTIONS /api/v1/items/744 HTTP/1.1" 204 - "-" "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)" 0.010)L",
    R"(122.231.216.88 - - [25/Nov/2024:00:00:03 +0000] "GET /admin/config.php HTTP/1.1" 504 511 "https://shop.example.com/search?q=usb-c" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0" 60.008)",
    R"(95.109.172.221 - - [25/Nov/2024:00:00:00 +0000] "GET /api/v1/orders/50808 HTTP/1.0" 200 5699 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" 0.006)",
    R"(66.157.101.64 - - [25/Nov/2024:00:01:27 +0000] "GET /products/1481 HTTP/1.1" 304 - "-" "-" 0.012)",
};

// The generator's malformed kinds (shared/bench/README.md), as it wrote them, except the
// "combined without the request time" kind, which is a valid COMBINEDAPACHELOG line and so
// matches NGINXACCESS without a request_time (tested on its own below).
const std::vector<std::string> kBenchMalformedLines = {
    // truncated records
    R"(109.85.220.176 - - [25/Nov/2024:00:00:07 +0000] "GET /products/1185 HTTP/1.1" 200 8160 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/53)",
    R"(178.89.231.78 - - [25/Nov/2024:00:00:14 +0000] "POST /api/v1/items/537 HTTP/1.1" 201 765 "-" "M)",
    R"(93.171.128.50 - - [25/Nov/2024:00:00:37 +0000] ")",
    R"(31.150.92.209 - dave [25/)",
    R"(188.166.43.78 - - [25/Nov/2024:00:01:19 +0000] "GET /products/1296 HTTP/1.1" 401 )",
    // bad status
    R"(89.57.194.74 - - [25/Nov/2024:00:00:00 +0000] "POST /admin/config.php HTTP/2.0" - 279 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0" 0.007)",
    R"(93.171.128.50 - - [25/Nov/2024:00:00:16 +0000] "GET /products HTTP/1.1" 20 4791 "https://www.google.com/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" 0.064)",
    R"L(66.157.101.64 - - [25/Nov/2024:00:00:19 +0000] "GET /api/v1/items/1135 HTTP/1.1" 2OO - "https://shop.example.com/blog/2024/10/scaling-postgres" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" 0.023)L",
    R"(89.57.194.74 - - [25/Nov/2024:00:00:36 +0000] "GET /static/css/vendor.81be3d.css HTTP/1.1" abc 6437 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" 0.005)",
    R"(31.253.250.39 - - [25/Nov/2024:00:01:10 +0000] "GET /static/js/runtime.9a8b7c.js HTTP/1.1" 5xx 19130 "-" "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1" 0.011)",
    // random printable junk
    R"(vW(tpC.=:,><pi\Q6;_Cg6zy_.icN!RN<2>A(~GLsX+yDh~~`72g#}Dp\'m~R\<VrsC3)",
    R"(Q0<!fgPM"3`CoViB%>FB8>CFvg2I=UkE5hm}>#!7zZu"GwVGW?PeF+zQC;k]|GZ75,k9(|yo'8bF]@*S`3%Oa=+]gU"lF)",
    // application error lines and stack traces
    R"(PHP Warning:  Undefined array key "user" in /var/www/html/index.php on line 42)",
    R"([error] 1234#1234: *5678 upstream timed out (110: Connection timed out) while reading response header from upstream)",
    "Traceback (most recent call last):",
    R"(  File "/srv/app/wsgi.py", line 17, in <module>)",
    R"(\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03)",
    "-- MARK --",
    "GET / HTTP/1.1",
    // TLS bytes in the request field
    R"(203.233.181.74 - - [25/Nov/2024:00:00:09 +0000] "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" 200 735 "https://shop.example.com/products/1851" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" 0.261)",
    R"(31.253.250.39 - - [25/Nov/2024:00:02:10 +0000] "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" 200 489 "-" "curl/7.88.1" 0.016)",
    // non-numeric request time
    R"(178.97.204.119 - - [25/Nov/2024:00:00:45 +0000] "POST /api/v1/items/215 HTTP/1.1" 201 145 "https://shop.example.com/products/1555" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0" -)",
    R"(66.157.101.64 - - [25/Nov/2024:00:01:27 +0000] "GET /products/1481 HTTP/1.1" 304 - "-" "okhttp/4.12.0" 0,012)",
    R"(31.253.250.39 - - [25/Nov/2024:00:01:42 +0000] "GET /static/img/product-0150.jpg HTTP/1.1" 200 53923 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" 1e-3s)",
    R"(2001:db8:336:4191::5733 - - [25/Nov/2024:00:02:07 +0000] "GET /docs/api/authentication HTTP/1.1" 200 47841 "https://shop.example.com/products/2073" "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1" nan)",
    // two records glued with a tab
    "91.220.216.194 - - [25\t216.194 - - [25/Nov/2024:00:00:14 +0000] \"GET /static/js/runtime.9a8b7c.js HTTP/2.0\" 200 6475 \"-\" \"Go-http-client/1.1\" 0.00 x",
    "86.128.123.105 - alice\t/Nov/2024:00:01:49 +0000] \"GET /products/1370 HTTP/2.0\" 304 - \"-\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\" 0.00 x",
};

const std::string kBenchLineWithoutRequestTime =
    R"(78.73.224.90 - - [25/Nov/2024:00:00:53 +0000] "GET /admin/config.php HTTP/1.1" 200 17838 "-" "Go-http-client/1.1")";

const std::vector<std::string> kSyslogLines = {
    "Nov 25 13:06:18 host sshd[1234]: Accepted publickey for root from 10.0.0.1 port 52144 ssh2",
    "Nov  5 03:04:05 web-01 CRON[98765]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
    "Nov 25 13:06:18 host kernel: [ 1234.567890] usb 1-1: new high-speed USB device number 2 using xhci_hcd",
    "Nov 25 13:06:19 host systemd[1]: Started session-42.scope - Session 42 of User root.",
    "Dec 31 23:59:59 mail.example.com postfix/smtpd[4242]: connect from unknown[192.0.2.7]",
    "2024-11-25T13:06:18.123456+00:00 host sshd[1234]: Disconnected from user root 10.0.0.1 port 52144",
    "Nov 25 13:06:18 10.0.0.5 dhclient: DHCPACK of 10.0.0.5 from 10.0.0.1",
};

// Every bundled pattern with values it must match in full and near-misses it must reject.
const std::map<std::string, Examples>& bundled_examples() {
  static const std::map<std::string, Examples> examples = {
      {"USERNAME", {{"root", "svc-batch", "john.doe_2", "www-data"}, {"", "john doe", "a@b", "a/b"}}},
      {"USER", {{"alice", "www-data"}, {"al ice", "x/y", ""}}},
      {"EMAILLOCALPART", {{"john.doe", "first+tag", "o'brien", "x_y-z"}, {".john", "john..doe", "a b", "john."}}},
      {"EMAILADDRESS",
       {{"alice@example.com", "first.last+tag@mail.example.co.uk", "root@localhost"},
        {"alice@", "@example.com", "alice@exa mple.com", "alice@@example.com", "alice"}}},
      {"HTTPDUSER", {{"-", "alice", "bob@example.com", "svc-batch"}, {"bob smith", "", "a/b"}}},
      {"INT", {{"0", "42", "-17", "+3", "007"}, {"4.2", "", "--1", "1e3", "- 1"}}},
      {"BASE10NUM", {{"0", "3.14", "-0.5", ".5", "+10", "60.008"}, {"1.", "1.2.3", "abc", "1e5", "", "."}}},
      {"NUMBER", {{"0.003", "60.008", "-12", "0.000", "42"}, {"0,012", "nan", "1e-3s", "-", ""}}},
      {"BASE16NUM", {{"0x1F", "deadBEEF", "-0xff", "42"}, {"0x", "xyz", "0xg1", ""}}},
      {"POSINT", {{"1", "8080", "52144"}, {"0", "012", "-1", ""}}},
      {"NONNEGINT", {{"0", "007", "123"}, {"-1", "1.0", ""}}},
      {"WORD", {{"hello", "snake_case", "abc123", "X"}, {"two words", "hy-phen", "", "a.b"}}},
      {"NOTSPACE", {{"a", "/path?x=1", "\"quoted\"", "-"}, {"", "a b", "a\tb"}}},
      {"SPACE", {{"", " ", " \t  "}, {"x", " x"}}},
      {"DATA", {{"", "anything at all", "[x] \"y\""}, {"line\nbreak"}}},
      {"GREEDYDATA", {{"", "Accepted publickey for root from 10.0.0.1"}, {"a\nb"}}},
      {"QUOTEDSTRING",
       {{R"("hello")", R"("")", R"("she said \"hi\"")", R"("C:\\dir")", "'single'", "`back`"},
        {R"("unterminated)", R"("a" "b")", R"("a"b)", "noquotes", R"("ends with escape\")", "'mixed\""}}},
      {"QS", {{R"("x y")", "'z'"}, {"x", R"(")"}}},
      {"UUID",
       {{"123e4567-e89b-12d3-a456-426614174000", "F47AC10B-58CC-4372-A567-0E02B2C3D479",
         "00000000-0000-0000-0000-000000000000"},
        {"123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-42661417400",
         "g23e4567-e89b-12d3-a456-426614174000", "{123e4567-e89b-12d3-a456-426614174000}",
         "123e4567-e89b-12d3-a456-4266141740000"}}},
      {"MAC",
       {{"00:1a:2b:3c:4d:5e", "00-1A-2B-3C-4D-5E", "001a.2b3c.4d5e"},
        {"00:1a:2b:3c:4d", "00:1a:2b:3c:4d:5g", "00:1a-2b:3c:4d:5e", "001a2b3c4d5e"}}},
      {"IPV4",
       {{"0.0.0.0", "10.0.0.1", "192.168.1.254", "255.255.255.255", "66.157.101.64", "010.001.000.001"},
        {"256.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.", "a.b.c.d", "1.2.3.1000", "1..2.3", " 1.2.3.4"}}},
      {"IPV6",
       {{"2001:db8:a23a:52d6::f8a8", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8:85a3::8a2e:370:7334",
         "::1", "::", "fe80::1", "1::", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6::8", "FF02::1",
         "2001:db8::1:0:0:1", "::ffff:1.2.3.4", "::FFFF:192.0.2.128", "::ffff:0:192.0.2.128",
         "64:ff9b::192.0.2.33", "1:2:3:4:5:6:1.2.3.4", "fe80::1ff:fe23:4567:890a%eth0"},
        {"1.2.3.4", "2001:db8::1::1", "12345::1", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", ":1", "1:",
         "2001:db8:::1", "::ffff:1.2.3.256", "g::1", "1:2:3:4:5:6:7::8", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4",
         "[::1]", "::1 "}}},
      {"IP", {{"10.0.0.1", "2001:db8::1", "::ffff:10.0.0.1", "::1"}, {"example.com", "10.0.0", "::g", ""}}},
      {"HOSTNAME",
       {{"localhost", "web-01", "www.example.com", "example.com.", "ip-10-0-0-1.ec2.internal", "xn--bcher-kva.example"},
        {"-web", "web-", "a..b", "under_score.com", "", "host name", ".example.com"}}},
      {"IPORHOST", {{"example.com", "192.168.0.1", "::1", "2001:db8::f8a8"}, {"exa mple", "-x", "a..b"}}},
      {"HOSTPORT",
       {{"example.com:443", "10.0.0.1:8080", "[2001:db8::1]:9273", "localhost:9273"},
        {"example.com", "example.com:", "example.com:0", "10.0.0.1:http", "[2001:db8::1]"}}},
      {"UNIXPATH",
       {{"/", "/var/log/nginx/access.log", "/srv/app/wsgi.py", "/home/user/.config/some+file,v1~", "/tmp/a:b@c"},
        {"var/log", "/var/log file", R"(C:\x)", ""}}},
      {"WINPATH",
       {{R"(C:\Windows\System32\drivers\etc\hosts)", R"(\\server\share\file.txt)", R"(C:\Program Files\App\app.exe)"},
        {"C:", "/unix/path", R"(C:\a?b)", R"(C:\a*)", "C:/x"}}},
      {"PATH", {{"/var/log/syslog", R"(D:\logs\app.log)"}, {"relative/path", "", "~/x"}}},
      {"URIPROTO", {{"http", "https", "git+ssh", "x-custom.v2"}, {"1http", "ht tp", "", "-x"}}},
      {"URIHOST",
       {{"example.com", "example.com:8080", "10.0.0.1:80", "[2001:db8::1]:443", "[::1]"},
        {"example.com:", "exa mple.com", "example.com:0"}}},
      {"URIPATH",
       {{"/", "/api/v1/items/353", "/blog/2024/11/release-notes", "/a%20b", "/wp-login.php", "/.env"},
        {"api/v1", "/a b", "/a?b=1", ""}}},
      {"URIPARAM", {{"?q=shoes", "?page=3&limit=50", "?", "?a[]=1&b=<x>", "?q=laptop+bag"}, {"q=shoes", "?a b", ""}}},
      {"URIPATHPARAM",
       {{"/search?q=laptop+bag", "/api/v1/items?page=3&limit=50", "/", "/search?q=usb-c"},
        {"search?q=x", "/a b?c", "?q=x"}}},
      {"URI",
       {{"https://www.reddit.com/r/programming/", "http://user:pass@example.com:8080/path?x=1",
         "https://[2001:db8::1]:8443/metrics", "ftp://ftp.example.org", "https://shop.example.com/search?q=usb-c",
         "https://t.co/x7Qz9aBc"},
        {"www.example.com/path", "https//example.com", "https://exa mple.com/", "-", "https://example.com/a b"}}},
      {"MONTH",
       {{"Jan", "January", "nov", "Sep", "Sept", "September", "May", "Dec"}, {"Janu", "Foo", "13", "Ma", "JANUARYX"}}},
      {"MONTHNUM", {{"1", "01", "9", "12"}, {"0", "13", "00", "123"}}},
      {"MONTHNUM2", {{"01", "09", "12"}, {"1", "13", "00"}}},
      {"MONTHDAY", {{"1", "01", "9", "25", "31"}, {"0", "32", "00", "123"}}},
      {"DAY", {{"Mon", "Monday", "tue", "Sunday", "Thu"}, {"Mo", "Mond", "Funday"}}},
      {"YEAR", {{"2024", "24"}, {"202", "20245", "abcd"}}},
      {"HOUR", {{"0", "00", "9", "13", "23"}, {"24", "123", "-1"}}},
      {"MINUTE", {{"00", "06", "59"}, {"60", "5", "123"}}},
      {"SECOND", {{"00", "59", "60", "18.123", "18,123", "7"}, {"61", "18.", "123"}}},
      {"TIME", {{"13:06:18", "00:00:00", "9:05:00", "23:59:60", "13:06:18.123456"}, {"24:00:00", "13:06", "13:6:18", "13:60:00"}}},
      {"ISO8601_TIMEZONE", {{"Z", "+00:00", "-0800", "+05:30", "+01"}, {"UTC", "+5:3", "+24:00", "0000"}}},
      {"TIMESTAMP_ISO8601",
       {{"2024-11-25T13:06:18Z", "2024-11-25T13:06:18.123456+00:00", "2024-11-25 13:06:18,123",
         "2024-11-25T13:06:18-0800", "2024-11-25T13:06:18.123456789Z", "2024-11-25T13:06", "2024-11-25T13:06:18",
         "2024-01-05T00:00:00+05:30"},
        {"2024-13-25T13:06:18Z", "2024-11-32T13:06:18Z", "2024-11-25X13:06:18", "2024/11/25 13:06:18",
         "2024-11-25T25:06:18Z", "2024-11-25", "2024-11-25T13:06:18 UTC"}}},
      {"HTTPDATE",
       {{"25/Nov/2024:00:00:00 +0000", "01/Jan/2025:23:59:59 -0700", "10/Oct/2000:13:55:36 -0700"},
        {"25/Nov/2024 00:00:00 +0000", "25/11/2024:00:00:00 +0000", "32/Nov/2024:00:00:00 +0000",
         "25/Nov/2024:00:00:00"}}},
      {"SYSLOGTIMESTAMP",
       {{"Nov 25 13:06:18", "Nov  5 03:06:18", "Jan 1 00:00:00"}, {"Nov 25 13:06", "25 Nov 13:06:18", "Nov 25 2024 13:06:18"}}},
      {"PROG", {{"sshd", "systemd-resolved", "postfix/smtpd", "CRON", "(sd-pam)"}, {"sshd[123]", "sshd:", "two words", ""}}},
      {"SYSLOGPROG", {{"sshd[1234]", "kernel", "postfix/smtpd[999]"}, {"sshd[]", "sshd[abc]", "sshd[0]", "sshd[12"}}},
      {"SYSLOGHOST", {{"web-01", "10.0.0.1", "host.example.com", "::1"}, {"web 01", "-host"}}},
      {"LOGLEVEL",
       {{"INFO", "info", "Info", "warn", "WARN", "Warning", "WARNING", "ERROR", "error", "Err", "DEBUG", "debug",
         "FATAL", "fatal", "CRITICAL", "crit", "TRACE", "trace", "NOTICE", "ALERT", "EMERG", "emergency", "SEVERE",
         "Information", "PANIC"},
        {"INF0", "WARNINGS", "LOG", "", "iNFO", "Errorr", "VERBOSE"}}},
      {"COMMONAPACHELOG",
       {{R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326)",
         R"(::1 - - [25/Nov/2024:10:00:00 +0100] "HEAD / HTTP/1.1" 304 -)",
         R"(www.example.com - - [25/Nov/2024:10:00:00 +0100] "PROPFIND /dav/ HTTP/1.1" 207 512)"},
        {R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif" 200 2326)",
         R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 2OO 2326)",
         R"(127.0.0.1 - frank [10/Oct/2000:13:55:36] "GET /apache_pb.gif HTTP/1.0" 200 2326)",
         R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "-" 400 0)",
         R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "-" "curl/8.0")"}}},
      {"COMBINEDAPACHELOG",
       {{kBenchLineWithoutRequestTime,
         R"L(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)")L",
         R"(2001:db8::7 - - [25/Nov/2024:10:00:00 +0000] "GET / HTTP/2.0" 200 612 "-" "Mozilla/5.0 \"quoted\" agent")"},
        {kBenchValidLines[0], R"(127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-")",
         R"(127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "bad "quote" agent")"}}},
      {"NGINXACCESS",
       {{kBenchValidLines[0], kBenchValidLines[1], kBenchLineWithoutRequestTime},
        {kBenchMalformedLines[0], kBenchMalformedLines.back()}}},
      {"SYSLOGLINE",
       {{kSyslogLines[0], kSyslogLines[1], kSyslogLines[5]},
        {"-- MARK --", "Nov 25 13:06:18", "2024/11/25 13:06:18 host sshd: x", "Nov 25 13:06:18 host"}}},
  };
  return examples;
}

const std::vector<std::string> kCompositePatterns = {"COMMONAPACHELOG", "COMBINEDAPACHELOG", "NGINXACCESS",
                                                     "SYSLOGLINE"};

}  // namespace

TEST_CASE("pattern library: the required bundled patterns exist") {
  const auto& bundled = bundled_patterns();
  CHECK(&bundled == &bundled_patterns());
  for (const char* name :
       {"IP", "IPV4", "IPV6", "INT", "NUMBER", "BASE10NUM", "POSINT", "WORD", "NOTSPACE", "SPACE", "DATA",
        "GREEDYDATA", "QUOTEDSTRING", "UUID", "PATH", "UNIXPATH", "URIPATH", "URIPARAM", "URIPATHPARAM", "HOSTNAME",
        "IPORHOST", "HOSTPORT", "USER", "EMAILADDRESS", "MONTH", "MONTHDAY", "YEAR", "HOUR", "MINUTE", "SECOND", "TIME",
        "HTTPDATE", "TIMESTAMP_ISO8601", "SYSLOGTIMESTAMP", "LOGLEVEL", "COMMONAPACHELOG", "COMBINEDAPACHELOG",
        "NGINXACCESS", "SYSLOGLINE"}) {
    CAPTURE(name);
    CHECK(bundled.count(name) == 1);
  }
}

TEST_CASE("pattern library: every bundled pattern compiles under RE2 in UTF-8 and Latin-1") {
  for (const auto& entry : bundled_patterns()) {
    const auto& name = entry.first;
    CAPTURE(name);
    const std::string expanded = expand_patterns("%{" + name + "}", kNoUserPatterns);
    CHECK(expanded.find("%{") == std::string::npos);
    for (auto encoding : {RE2::Options::EncodingUTF8, RE2::Options::EncodingLatin1}) {
      const RE2 re(expanded, options_for(encoding));
      CHECK_MESSAGE(re.ok(), re.error());
      // A ceiling that keeps the library cheap for RE2 (the largest, IPV6 and what holds it,
      // is about 2,700 instructions).
      CHECK(re.ProgramSize() < 4000);
    }
  }
}

TEST_CASE("pattern library: only the whole-line patterns create named captures, the documented ones") {
  const std::map<std::string, std::vector<std::string>> documented = {
      {"COMMONAPACHELOG", {"auth", "bytes", "client", "httpversion", "ident", "method", "path", "status", "timestamp"}},
      {"COMBINEDAPACHELOG",
       {"agent", "auth", "bytes", "client", "httpversion", "ident", "method", "path", "referrer", "status",
        "timestamp"}},
      {"NGINXACCESS",
       {"agent", "auth", "bytes", "client", "httpversion", "ident", "method", "path", "referrer", "request_time",
        "status", "timestamp"}},
      {"SYSLOGLINE", {"logsource", "message", "pid", "program", "timestamp"}},
  };
  for (const auto& entry : bundled_patterns()) {
    const auto& name = entry.first;
    CAPTURE(name);
    const RE2 re(expand_patterns("%{" + name + "}", kNoUserPatterns));
    REQUIRE(re.ok());
    std::vector<std::string> names;
    for (const auto& [capture, index] : re.NamedCapturingGroups()) names.push_back(capture);
    CHECK(re.NumberOfCapturingGroups() == static_cast<int>(names.size()));  // no unnamed groups
    const auto expected = documented.find(name);
    CHECK(names == (expected == documented.end() ? std::vector<std::string>{} : expected->second));
  }
}

TEST_CASE("pattern library: every bundled pattern matches real values and rejects near-misses") {
  const auto& examples = bundled_examples();
  for (const auto& entry : bundled_patterns()) {
    const auto& name = entry.first;
    CAPTURE(name);
    const auto found = examples.find(name);
    REQUIRE_MESSAGE(found != examples.end(), "no examples for a bundled pattern");
    CHECK(!found->second.matching.empty());
    CHECK(!found->second.rejected.empty());
    for (auto encoding : {RE2::Options::EncodingUTF8, RE2::Options::EncodingLatin1}) {
      const RE2 re(expand_patterns("%{" + name + "}", kNoUserPatterns), options_for(encoding));
      REQUIRE(re.ok());
      for (const auto& value : found->second.matching) {
        CAPTURE(value);
        CHECK(RE2::FullMatch(value, re));
      }
      for (const auto& value : found->second.rejected) {
        CAPTURE(value);
        CHECK_FALSE(RE2::FullMatch(value, re));
      }
    }
  }
  for (const auto& entry : examples) {
    const auto& name = entry.first;
    CAPTURE(name);
    CHECK(bundled_patterns().count(name) == 1);
  }
}

TEST_CASE("pattern library: NGINXACCESS reads every valid line of the shared bench workload") {
  for (const auto& line : kBenchValidLines) {
    CAPTURE(line);
    CHECK(parse("%{NGINXACCESS}", line).has_value());
    CHECK(parse("%{NGINXACCESS}", line, RE2::Options::EncodingLatin1).has_value());
  }

  auto first = parse("%{NGINXACCESS}", kBenchValidLines[0]);
  REQUIRE(first);
  CHECK(*first == Captures{{"client", "66.157.101.64"},
                           {"ident", "-"},
                           {"auth", "-"},
                           {"timestamp", "25/Nov/2024:00:00:00 +0000"},
                           {"method", "GET"},
                           {"path", "/static/img/product-0202.jpg"},
                           {"httpversion", "1.1"},
                           {"status", "200"},
                           {"bytes", "18120"},
                           {"referrer", "https://www.reddit.com/r/programming/"},
                           {"agent",
                            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                            "Chrome/131.0.0.0 Mobile Safari/537.36"},
                           {"request_time", "0.003"}});

  auto ipv6_no_body = parse("%{NGINXACCESS}", kBenchValidLines[2]);
  REQUIRE(ipv6_no_body);
  CHECK((*ipv6_no_body)["client"] == "2001:db8:79a6:932::634e");
  CHECK((*ipv6_no_body)["method"] == "PUT");
  CHECK((*ipv6_no_body)["status"] == "204");
  CHECK(ipv6_no_body->count("bytes") == 0);  // "-": the group takes no part
  CHECK((*ipv6_no_body)["request_time"] == "0.124");

  auto query = parse("%{NGINXACCESS}", kBenchValidLines[3]);
  REQUIRE(query);
  CHECK((*query)["path"] == "/search?q=laptop+bag");
  CHECK((*query)["referrer"] == "-");

  auto user = parse("%{NGINXACCESS}", kBenchValidLines[5]);
  REQUIRE(user);
  CHECK((*user)["auth"] == "mallory");
  CHECK((*user)["method"] == "HEAD");
  CHECK(user->count("bytes") == 0);

  auto probe = parse("%{NGINXACCESS}", kBenchValidLines[6]);
  REQUIRE(probe);
  CHECK((*probe)["httpversion"] == "2.0");
  CHECK((*probe)["request_time"] == "0.000");
  CHECK((*probe)["agent"] == "kube-probe/1.29");

  auto slow = parse("%{NGINXACCESS}", kBenchValidLines[8]);
  REQUIRE(slow);
  CHECK((*slow)["status"] == "504");
  CHECK((*slow)["request_time"] == "60.008");

  auto no_agent = parse("%{NGINXACCESS}", kBenchValidLines.back());
  REQUIRE(no_agent);
  CHECK((*no_agent)["agent"] == "-");
  CHECK((*no_agent)["httpversion"] == "1.1");
}

TEST_CASE("pattern library: NGINXACCESS rejects the bench workload's malformed lines") {
  for (const auto& line : kBenchMalformedLines) {
    CAPTURE(line);
    CHECK_FALSE(parse("%{NGINXACCESS}", line).has_value());
    CHECK_FALSE(parse("%{NGINXACCESS}", line, RE2::Options::EncodingLatin1).has_value());
  }
  // "Combined without the request time" is a well-formed combined line: it matches, with no
  // request_time, so a rule that needs the time anchors `%{NGINXACCESS}` on it explicitly.
  auto combined = parse("%{NGINXACCESS}", kBenchLineWithoutRequestTime);
  REQUIRE(combined);
  CHECK(combined->count("request_time") == 0);
  CHECK((*combined)["agent"] == "Go-http-client/1.1");
  CHECK_FALSE(parse("%{COMBINEDAPACHELOG} %{NUMBER:request_time}", kBenchLineWithoutRequestTime));
  for (const auto& line : kBenchValidLines) {
    CAPTURE(line);
    CHECK(parse("%{COMBINEDAPACHELOG} %{NUMBER:request_time}", line));
  }
}

TEST_CASE("pattern library: real nginx and Apache lines") {
  // nginx escapes a quote in a header as \x22, Apache as \"; both stay inside the field.
  const std::string nginx_escaped =
      R"L(2a02:1810:4d02:5600:8d8b:ab45:9a29:2f4d - - [25/Nov/2024:13:06:18 +0100] "GET /index.html?lang=de HTTP/2.0" 200 5123 "https://www.google.com/" "Mozilla/5.0 \x22evil\x22 (X11; Linux x86_64)")L";
  auto nginx = parse("%{COMBINEDAPACHELOG}", nginx_escaped);
  REQUIRE(nginx);
  CHECK((*nginx)["client"] == "2a02:1810:4d02:5600:8d8b:ab45:9a29:2f4d");
  CHECK((*nginx)["agent"] == R"(Mozilla/5.0 \x22evil\x22 (X11; Linux x86_64))");

  const std::string apache_escaped =
      R"(::ffff:192.0.2.10 - - [25/Nov/2024:13:06:18 +0000] "POST /login HTTP/1.1" 302 - "https://example.com/login" "Mozilla/5.0 \"quoted\" bot")";
  auto apache = parse("%{COMBINEDAPACHELOG}", apache_escaped);
  REQUIRE(apache);
  CHECK((*apache)["client"] == "::ffff:192.0.2.10");
  CHECK((*apache)["agent"] == R"(Mozilla/5.0 \"quoted\" bot)");
  CHECK(apache->count("bytes") == 0);

  auto common = parse("%{COMMONAPACHELOG}",
                      R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326)");
  REQUIRE(common);
  CHECK(*common == Captures{{"client", "127.0.0.1"},
                            {"ident", "-"},
                            {"auth", "frank"},
                            {"timestamp", "10/Oct/2000:13:55:36 -0700"},
                            {"method", "GET"},
                            {"path", "/apache_pb.gif"},
                            {"httpversion", "1.0"},
                            {"status", "200"},
                            {"bytes", "2326"}});

  // A Latin-1 byte in the user agent: fine when the rule set compiles in Latin-1, while
  // RE2's default UTF-8 mode fails the whole line (SPEC.md: such lines must still match).
  const std::string latin1 =
      "10.0.0.1 - - [25/Nov/2024:13:06:18 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"Caf\xE9" "Bot/1.0\" 0.001";
  auto parsed = parse("%{NGINXACCESS}", latin1, RE2::Options::EncodingLatin1);
  REQUIRE(parsed);
  CHECK((*parsed)["agent"] == "Caf\xE9" "Bot/1.0");
  CHECK_FALSE(parse("%{NGINXACCESS}", latin1, RE2::Options::EncodingUTF8));
}

TEST_CASE("pattern library: real syslog lines") {
  for (const auto& line : kSyslogLines) {
    CAPTURE(line);
    CHECK(parse("%{SYSLOGLINE}", line));
  }
  auto sshd = parse("%{SYSLOGLINE}", kSyslogLines[0]);
  REQUIRE(sshd);
  CHECK(*sshd == Captures{{"timestamp", "Nov 25 13:06:18"},
                          {"logsource", "host"},
                          {"program", "sshd"},
                          {"pid", "1234"},
                          {"message", "Accepted publickey for root from 10.0.0.1 port 52144 ssh2"}});

  auto padded_day = parse("%{SYSLOGLINE}", kSyslogLines[1]);
  REQUIRE(padded_day);
  CHECK((*padded_day)["timestamp"] == "Nov  5 03:04:05");
  CHECK((*padded_day)["program"] == "CRON");
  CHECK((*padded_day)["message"] == "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)");

  auto kernel = parse("%{SYSLOGLINE}", kSyslogLines[2]);  // no pid
  REQUIRE(kernel);
  CHECK((*kernel)["program"] == "kernel");
  CHECK(kernel->count("pid") == 0);
  CHECK((*kernel)["message"] == "[ 1234.567890] usb 1-1: new high-speed USB device number 2 using xhci_hcd");

  auto postfix = parse("%{SYSLOGLINE}", kSyslogLines[4]);
  REQUIRE(postfix);
  CHECK((*postfix)["logsource"] == "mail.example.com");
  CHECK((*postfix)["program"] == "postfix/smtpd");
  CHECK((*postfix)["pid"] == "4242");

  auto rfc3339 = parse("%{SYSLOGLINE}", kSyslogLines[5]);
  REQUIRE(rfc3339);
  CHECK((*rfc3339)["timestamp"] == "2024-11-25T13:06:18.123456+00:00");
  CHECK((*rfc3339)["program"] == "sshd");

  auto no_program = parse("%{SYSLOGLINE}", "Nov 25 13:06:18 host -- MARK --");
  REQUIRE(no_program);
  CHECK(no_program->count("program") == 0);
  CHECK((*no_program)["message"] == "-- MARK --");
}

TEST_CASE("pattern library: timestamps, UUIDs and levels inside a line") {
  auto app = parse("%{TIMESTAMP_ISO8601:time} \\[%{LOGLEVEL:level}\\] request %{UUID:id} took %{NUMBER:ms}ms",
                   "2024-11-25T13:06:18.123Z [Warning] request 123e4567-e89b-12d3-a456-426614174000 took 12.5ms");
  REQUIRE(app);
  CHECK(*app == Captures{{"time", "2024-11-25T13:06:18.123Z"},
                         {"level", "Warning"},
                         {"id", "123e4567-e89b-12d3-a456-426614174000"},
                         {"ms", "12.5"}});
  for (const char* level : {"INFO", "warn", "ERROR", "Warning", "DEBUG", "FATAL", "CRITICAL", "TRACE"}) {
    CAPTURE(level);
    CHECK(full_match("%{LOGLEVEL}", level));
  }
  CHECK(full_match("%{TIMESTAMP_ISO8601}", "2024-11-25T13:06:18+01:00"));
  CHECK(full_match("%{TIMESTAMP_ISO8601}", "2024-11-25 13:06:18"));
  CHECK_FALSE(full_match("%{TIMESTAMP_ISO8601}", "25/Nov/2024:13:06:18 +0000"));
}

TEST_CASE("pattern library: expand_patterns makes groups, nests, and honours user patterns") {
  CHECK(expand_patterns("%{INT}", kNoUserPatterns) == "(?:[+-]?[0-9]+)");
  CHECK(expand_patterns("%{INT:n}", kNoUserPatterns) == "(?P<n>[+-]?[0-9]+)");
  CHECK(expand_patterns("^x=%{POSINT:x_1} y=%{POSINT:_y}$", kNoUserPatterns) ==
        "^x=(?P<x_1>[1-9][0-9]*) y=(?P<_y>[1-9][0-9]*)$");
  CHECK(expand_patterns("no references at all (?P<a>b+)", kNoUserPatterns) == "no references at all (?P<a>b+)");
  CHECK(expand_patterns("", kNoUserPatterns).empty());

  // Bundled nesting: NUMBER is BASE10NUM.
  CHECK(expand_patterns("%{NUMBER:v}", kNoUserPatterns) ==
        "(?P<v>(?:" + bundled_patterns().at("BASE10NUM") + "))");

  const PatternMap user = {{"A", "a%{B:bee}"}, {"B", "b+"}, {"INT", "[0-9]"}, {"IPV4", "v4"}};
  CHECK(expand_patterns("x%{A:aa}y", user) == "x(?P<aa>a(?P<bee>b+))y");
  CHECK(expand_patterns("%{INT}", user) == "(?:[0-9])");  // the user's INT wins
  // ...also where a bundled pattern refers to it: IP and IPV6 reach the user's IPV4.
  const std::string ip = expand_patterns("%{IP}", user);
  CHECK(ip.find("v4") != std::string::npos);
  CHECK(ip.find("25[0-5]") == std::string::npos);

  // A pattern used many times (a diamond, not a cycle) expands each time, identically.
  const PatternMap diamond = {{"A", "%{B}%{B}"}, {"B", "%{C}%{C}"}, {"C", "c"}};
  CHECK(expand_patterns("%{A}", diamond) == "(?:(?:(?:c)(?:c))(?:(?:c)(?:c)))");

  // The user's named pattern as the SPEC example defines it.
  const PatternMap spec = {{"IP", R"(\d{1,3}(?:\.\d{1,3}){3})"}};
  const RE2 access(expand_patterns(R"(^%{IP:client} \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>\S+)[^"]*" (?P<status>\d{3}) (?P<bytes>\d+) .* (?P<request_time>[0-9.]+)$)",
                                   spec));
  REQUIRE(access.ok());
  std::string client;
  CHECK(RE2::PartialMatch(kBenchValidLines[0], access, &client));
  CHECK(client == "66.157.101.64");
}

TEST_CASE("pattern library: expand_patterns errors say what is wrong and where") {
  std::string message = error_of("x %{NOPE:y}");
  CHECK(message.find("unknown pattern name \"NOPE\"") != std::string::npos);
  CHECK(message.find("%{NOPE:y}") != std::string::npos);
  CHECK(message.find("offset 2") != std::string::npos);

  message = error_of("%{OUTER}", {{"OUTER", "a%{MIDDLE}"}, {"MIDDLE", "%{MISSING}"}});
  CHECK(message.find("\"MISSING\"") != std::string::npos);
  CHECK(message.find("pattern MIDDLE") != std::string::npos);
  CHECK(message.find("OUTER -> MIDDLE") != std::string::npos);

  CHECK(error_of("%{ipv4}").find("did you mean IPV4?") != std::string::npos);

  message = error_of("%{A}", {{"A", "%{B}"}, {"B", "x%{C}"}, {"C", "%{A}"}});
  CHECK(message.find("cycle") != std::string::npos);
  CHECK(message.find("A -> B -> C -> A") != std::string::npos);
  CHECK(error_of("%{SELF}", {{"SELF", "x|%{SELF}"}}).find("SELF -> SELF") != std::string::npos);
  // Overriding a bundled name with a reference to itself is a cycle too (the user's wins).
  CHECK(error_of("%{IP}", {{"IP", "%{IP}|localhost"}}).find("IP -> IP") != std::string::npos);
  // A cycle only reached through a bundled pattern names the whole chain.
  CHECK(error_of("%{HOSTPORT}", {{"POSINT", "%{HOSTPORT}"}}).find("HOSTPORT -> POSINT -> HOSTPORT") !=
        std::string::npos);

  for (const char* bad : {"%{INT:1x}", "%{INT:}", "%{INT:a-b}", "%{INT:x:int}", "%{INT:a b}", "%{INT:é}"}) {
    CAPTURE(bad);
    message = error_of(bad);
    CHECK(message.find("bad capture name") != std::string::npos);
    CHECK(message.find("[A-Za-z_][A-Za-z0-9_]*") != std::string::npos);
  }
  CHECK(error_of("%{INT:x:int}").find(":type") != std::string::npos);
  CHECK(error_of("%{A}", {{"A", "%{INT:9}"}}).find("pattern A") != std::string::npos);

  message = error_of("abc %{INT");
  CHECK(message.find("unterminated %{") != std::string::npos);
  CHECK(message.find("offset 4") != std::string::npos);
  CHECK(error_of("%{").find("unterminated") != std::string::npos);
  CHECK(error_of("%{A}", {{"A", "x%{"}}).find("unterminated %{ at offset 1 of pattern A") != std::string::npos);

  // Two groups with one name: RE2 of Debian 12 would accept them and report one.
  CHECK(error_of("%{IP:client} %{IP:client}").find("capture name \"client\" is used twice") != std::string::npos);
  CHECK(error_of("%{SYSLOGLINE} %{NGINXACCESS}").find("\"timestamp\" is used twice") != std::string::npos);
  CHECK(error_of("%{L} %{L}", {{"L", "%{INT:n}"}}).find("\"n\" is used twice") != std::string::npos);
  CHECK(error_of("(?P<n>x) %{INT:n}").find("\"n\" is used twice") != std::string::npos);
  CHECK(error_of("%{L} %{L}", {{"L", "%{INT}"}}).empty());
  CHECK(error_of("[(?P<n>] %{INT:n}").empty());  // inside a class it is no group

  CHECK(error_of("%{}").find("bad pattern name") != std::string::npos);
  CHECK(error_of("%{ INT }").find("bad pattern name") != std::string::npos);
  CHECK_THROWS_AS(expand_patterns("%{NOPE}", kNoUserPatterns), PatternError);
  CHECK_THROWS_AS(expand_patterns("%{NOPE}", kNoUserPatterns), std::runtime_error);
}

TEST_CASE("pattern library: regex syntax that only looks like a reference is kept") {
  const auto same = [](std::string_view text) { return expand_patterns(text, kNoUserPatterns) == text; };
  CHECK(same("100%"));
  CHECK(same("%d%% done %"));
  CHECK(same("%"));
  CHECK(same(R"(\%{INT})"));            // escaped percent
  CHECK(same(R"([%{] and [^]%{}])"));   // inside character classes
  CHECK(same(R"([[:alpha:]%{]x)"));
  CHECK(same(R"(\Q%{INT}\E)"));         // quoted literal text
  CHECK(same("%{2}"));                  // repetitions of a literal '%'
  CHECK(same("%{1,3}"));
  CHECK(same("%{2,}"));
  CHECK(expand_patterns("50% of %{INT:n}", kNoUserPatterns) == "50% of (?P<n>[+-]?[0-9]+)");
  CHECK(expand_patterns(R"([\]]%{INT})", kNoUserPatterns) == R"([\]](?:[+-]?[0-9]+))");

  CHECK(full_match("%{2}", "%%"));
  CHECK(full_match(R"(\%{INT})", "%{INT}"));
  CHECK(full_match(R"([%{]+)", "%{%"));
  CHECK(full_match(R"(\Q%{INT}\E)", "%{INT}"));
  CHECK(full_match("load %{NUMBER:p}%", "load 97.5%"));
}

TEST_CASE("pattern library: expansion is safe from several threads at once") {
  const PatternMap user = {{"LINE", "%{NGINXACCESS}"}};
  const std::string expected = expand_patterns("%{LINE}", user);
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&result, &user] {
      for (int i = 0; i < 20; ++i) result = expand_patterns("%{LINE}", user);
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) CHECK(result == expected);
}

TEST_CASE("pattern library: a long chain of references is refused, not a stack overflow") {
  auto chain = [](int length) {
    PatternMap user;
    for (int i = 0; i < length; ++i) user["P" + std::to_string(i)] = "%{P" + std::to_string(i + 1) + "}";
    user["P" + std::to_string(length)] = "x";
    return user;
  };
  // P0 .. P8000: the issue's configuration, which used to overflow the stack.
  const std::string message = error_of("%{P0}", chain(8000));
  CHECK(message.find("pattern references nest more than 100 levels deep") != std::string::npos);
  CHECK(message.find("(P0 -> P1 -> P2 -> P3 -> ... -> P96 -> P97 -> P98 -> P99 -> P100;") != std::string::npos);
  // The limit itself: the match's own reference plus 99 more levels expand.
  std::string opens;
  for (std::size_t i = 0; i < kMaxPatternDepth; ++i) opens += "(?:";
  CHECK(expand_patterns("%{P0}", chain(kMaxPatternDepth - 1)) == opens + "x" + std::string(kMaxPatternDepth, ')'));
  CHECK(error_of("%{P0}", chain(kMaxPatternDepth)).find("nest more than 100 levels") != std::string::npos);
}

TEST_CASE("pattern library: an expansion is refused as soon as it passes the size bound") {
  // Pi: '%{Pi+1}%{Pi+1}', 24 levels: 16 M copies of the last one; before, 10 s and 615 MB.
  PatternMap doubling;
  for (int i = 0; i < 24; ++i)
    doubling["P" + std::to_string(i)] = "%{P" + std::to_string(i + 1) + "}%{P" + std::to_string(i + 1) + "}";
  doubling["P24"] = "abcdefgh";
  const std::string message = error_of("%{P0}", doubling);
  CHECK(message.find("pattern too large: it expands to more than 1024 KiB") != std::string::npos);
  CHECK(message.find("(while expanding P0 -> P1 -> P2 -> P3 -> P4 -> P5 -> P6 -> P7)") != std::string::npos);
  // 40 levels would be 8 TB: refused as fast.
  for (int i = 24; i < 40; ++i)
    doubling["P" + std::to_string(i)] = "%{P" + std::to_string(i + 1) + "}%{P" + std::to_string(i + 1) + "}";
  doubling["P40"] = "x";
  CHECK(error_of("%{P0}", doubling).find("pattern too large") != std::string::npos);
  // Captures double with the text: still refused by size.
  PatternMap capturing = {{"C", "%{D}%{D}"}, {"D", "%{E}%{E}"}, {"E", "%{INT:n}"}};
  CHECK(error_of("%{C}", capturing).find("\"n\" is used twice") != std::string::npos);
  // A long but allowed expansion still works.
  PatternMap wide = {{"W", std::string(kMaxExpandedPatternBytes - 16, 'a')}};
  CHECK(expand_patterns("%{W}", wide).size() == kMaxExpandedPatternBytes - 16 + 4);
  wide["W"] += std::string(32, 'a');
  CHECK(error_of("%{W}", wide).find("pattern too large") != std::string::npos);
}
